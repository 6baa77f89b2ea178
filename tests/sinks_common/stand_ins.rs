//! Stand-ins for PagerDuty and Slack: what each service checks before it accepts a request,
//! and the answer it gives.

use super::{Answer, Request};
use chrono::DateTime;
use serde_json::{json, Value};

/// What PagerDuty's Events API v2 checks before it answers 202.
pub fn pagerduty_v2_problems(request: &Request) -> Vec<String> {
    let mut problems = Vec::new();
    if request.path != "POST /v2/enqueue" {
        problems.push(format!("path {}", request.path));
    }
    if request.header("content-type") != Some("application/json") {
        problems.push("content-type is not application/json".into());
    }
    let body = request.json();
    let text = |v: &Value| v.as_str().map(str::to_string);
    if text(&body["routing_key"]).is_none_or(|k| k.len() != 32) {
        problems.push("routing_key must be a 32-character string".into());
    }
    let action = text(&body["event_action"]).unwrap_or_default();
    if !["trigger", "acknowledge", "resolve"].contains(&action.as_str()) {
        problems.push(format!("event_action {action:?}"));
    }
    if text(&body["dedup_key"]).is_none_or(|k| k.is_empty() || k.len() > 255) {
        problems.push("dedup_key must be 1-255 characters".into());
    }
    if action == "trigger" {
        let payload = &body["payload"];
        if text(&payload["summary"]).is_none_or(|s| s.is_empty() || s.chars().count() > 1024) {
            problems.push("payload.summary must be 1-1024 characters".into());
        }
        if text(&payload["source"]).is_none_or(|s| s.is_empty()) {
            problems.push("payload.source is required".into());
        }
        let severity = text(&payload["severity"]).unwrap_or_default();
        if !["critical", "error", "warning", "info"].contains(&severity.as_str()) {
            problems.push(format!("payload.severity {severity:?}"));
        }
        if let Some(t) = payload.get("timestamp") {
            if text(t).is_none_or(|t| DateTime::parse_from_rfc3339(&t).is_err()) {
                problems.push("payload.timestamp must be ISO 8601".into());
            }
        }
        if payload
            .get("custom_details")
            .is_some_and(|d| !d.is_object())
        {
            problems.push("payload.custom_details must be an object".into());
        }
    }
    problems
}

/// Answers like PagerDuty: 202 for a valid event, 400 with the reasons otherwise.
pub fn pagerduty_answer(request: &Request) -> Answer {
    let problems = pagerduty_v2_problems(request);
    if problems.is_empty() {
        let dedup = request.json()["dedup_key"].clone();
        let body = json!({"status": "success", "message": "Event processed", "dedup_key": dedup});
        Answer::new(202, body.to_string())
    } else {
        let body = json!({"status": "invalid event", "message": "Event object is invalid", "errors": problems});
        Answer::new(400, body.to_string())
    }
}

/// Answers like a Slack incoming webhook: `ok`, or 400 `invalid_payload` without `text`.
pub fn slack_answer(request: &Request) -> Answer {
    let body = request.json();
    match body["text"].as_str() {
        Some(text) if !text.is_empty() => Answer::new(200, "ok"),
        _ => Answer::new(400, "invalid_payload"),
    }
}
