//! The store shared between async tasks (detection's alert dispatch, outbox delivery, the HTTP
//! API): one connection behind a mutex, every call on tokio's blocking pool, because a commit
//! waits for fsync and must not stall a runtime worker.

use super::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A cloneable handle to the one [`Store`] of the process.
#[derive(Debug, Clone)]
pub struct SharedStore {
    inner: Arc<Mutex<Store>>,
    path: PathBuf,
}

impl SharedStore {
    /// Shares `store`.
    pub fn new(store: Store) -> SharedStore {
        let path = store.path().to_path_buf();
        SharedStore {
            inner: Arc::new(Mutex::new(store)),
            path,
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the store on the blocking pool. A panic in an earlier call does not make
    /// the store unusable (SQLite rolls back an unfinished transaction); a panic in `f` is
    /// reported as [`StoreError::Task`].
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let inner = self.inner.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = inner
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut store)
        })
        .await
        .map_err(|e| StoreError::Task {
            path,
            detail: e.to_string(),
        })?
    }

    /// Runs `f` with the store on the calling thread (start-up, shutdown, tests).
    pub fn call_blocking<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_run_in_turn_and_a_panic_is_an_error_not_a_dead_store() {
        let shared = SharedStore::new(Store::open_in_memory().unwrap());
        let version = shared.call(|s| s.schema_version()).await.unwrap();
        assert_eq!(version, crate::store::SCHEMA_VERSION);
        let err = shared
            .call(|_| -> Result<(), StoreError> { panic!("boom") })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
        assert_eq!(shared.call(|s| s.schema_version()).await.unwrap(), version);
    }
}
