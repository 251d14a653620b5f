//! `trustdesk-scan`: JSON Lines in (one review per line), JSON Lines out, in order.
//!
//! Input:  `{"id": "r1", "text": "...", "language": "de"|null, "industries": [...],
//!          "customer_name": "..."|null, "employee_names": [...]}`
//! Output: `{"id": "r1", "publishable": false, "hits": [...]}` or, for a line that
//! cannot be scanned, `{"id": <id or null>, "line": N, "error": {"code", "message"}}`.
//! Exit code 1 if any line failed, 2 if the rule packs could not be loaded.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;
use trustdesk_filters::{Engine, Hit, RulePacks, ScanInput};

#[derive(Serialize)]
struct Output<'a> {
    id: &'a Value,
    publishable: bool,
    hits: &'a [Hit],
}

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    id: &'a Value,
    line: usize,
    error: ErrorBody,
}

fn usage() -> ExitCode {
    eprintln!("usage: trustdesk-scan [--rules DIR] < reviews.jsonl > results.jsonl");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut rules_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rules" => match args.next() {
                Some(d) => rules_dir = Some(d),
                None => return usage(),
            },
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }
    let packs = match rules_dir {
        Some(d) => RulePacks::load_dir(&d),
        None => Ok(RulePacks::builtin()),
    };
    let engine = match packs.and_then(|p| Engine::compile(&p)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("trustdesk-scan: {e}");
            return ExitCode::from(2);
        }
    };

    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    for (n, line) in stdin.split(b'\n').enumerate() {
        let line_no = n + 1;
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                eprintln!("trustdesk-scan: read error: {e}");
                failed = true;
                break;
            }
        };
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = process(&engine, bytes);
        let written = match result {
            Ok((id, r)) => serde_json::to_writer(
                &mut out,
                &Output { id: &id, publishable: r.publishable, hits: &r.hits },
            ),
            Err((id, code, message)) => {
                failed = true;
                serde_json::to_writer(
                    &mut out,
                    &ErrorLine { id: &id, line: line_no, error: ErrorBody { code, message } },
                )
            }
        };
        if written.is_err() || out.write_all(b"\n").is_err() {
            return ExitCode::from(1);
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

type LineError = (Value, &'static str, String);

fn process(engine: &Engine, bytes: &[u8]) -> Result<(Value, trustdesk_filters::ScanResult), LineError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| (Value::Null, "invalid_utf8", format!("line is not UTF-8: {e}")))?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| (Value::Null, "invalid_json", e.to_string()))?;
    let id = match value.get("id") {
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        _ => Value::Null,
    };
    if !value.is_object() {
        return Err((id, "invalid_input", "a line must be a JSON object".into()));
    }
    if id.is_null() {
        return Err((id, "missing_id", "field `id` (string or number) is required".into()));
    }
    if !value.get("text").is_some_and(Value::is_string) {
        return Err((id, "invalid_input", "field `text` (string) is required".into()));
    }
    let input: ScanInput = match serde_json::from_value(value) {
        Ok(i) => i,
        Err(e) => return Err((id, "invalid_input", e.to_string())),
    };
    let result = engine.scan(&input);
    Ok((id, result))
}
