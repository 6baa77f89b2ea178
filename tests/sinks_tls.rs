//! Outgoing TLS is verified (issue 9): a webhook pointed at an HTTPS receiver whose certificate
//! no public authority signed fails with a certificate error, and the receiver never gets a
//! request, so the alert (and any token in the URL or header) never leaves. Needs `openssl` to
//! make the certificate: skips loudly without it, fails under `BGPWATCH_REQUIRE_LAB=1`.

mod sinks_common;
mod support;

use bgpwatch::sink::webhook::{WebhookConfig, WebhookSink};
use bgpwatch::sink::{http_client, Secret};
use sinks_common::open_event;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A self-signed certificate for 127.0.0.1, made with the openssl command.
fn self_signed(dir: &std::path::Path) -> Option<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
    let openssl = support::tool("openssl")?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl could not make a certificate");
    Some((
        CertificateDer::from_pem_file(&cert).unwrap(),
        PrivateKeyDer::from_pem_file(&key).unwrap(),
    ))
}

#[tokio::test]
async fn a_webhook_to_a_server_with_an_untrusted_certificate_fails_and_sends_nothing() {
    let dir = support::scratch("sinks_tls");
    let Some((cert, key)) = self_signed(&dir) else {
        return;
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (connections, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (conns, reqs) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            conns.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let reqs = reqs.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 1024];
                    if matches!(tls.read(&mut buf).await, Ok(n) if n > 0) {
                        reqs.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });

    let url = format!("https://127.0.0.1:{port}/hook?token=secret-in-url");
    let mut config = WebhookConfig::new(Secret::from(url.as_str()));
    config.bearer_token = Some(Secret::from("secret-bearer-token"));
    let sink = WebhookSink::new(config, http_client::build().unwrap()).unwrap();
    let err = sink
        .deliver(&open_event("a1", "198.51.100.0/24", chrono::Utc::now()))
        .await
        .expect_err("an untrusted certificate must not be accepted");
    let message = format!("{err}");
    let chain = {
        let mut text = message.clone();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            text.push_str(&format!(" / {e}"));
            source = e.source();
        }
        text
    };
    assert!(
        chain.to_lowercase().contains("certificate"),
        "the failure should say why: {chain}"
    );
    eprintln!("refused as expected: {chain}");
    assert!(!chain.contains("secret-in-url") && !chain.contains("secret-bearer-token"));
    assert!(
        connections.load(Ordering::SeqCst) >= 1,
        "it did try to connect"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        0,
        "nothing was sent over the untrusted TLS"
    );
}
