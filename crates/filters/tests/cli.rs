//! Runs the real `trustdesk-scan` binary on stdin, including broken lines.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &[u8]) -> (i32, Vec<serde_json::Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trustdesk-scan"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trustdesk-scan");
    // the binary may exit before reading (invalid rule packs): ignore a broken pipe
    let _ = child.stdin.take().unwrap().write_all(input);
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect();
    (out.status.code().unwrap_or(-1), lines, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn clean_input_exits_zero_and_keeps_order() {
    let input = concat!(
        r#"{"id": "r1", "text": "Der Verkäufer ist ein Vollidiot.", "language": "de", "industries": ["general"], "customer_name": null, "employee_names": []}"#,
        "\n",
        r#"{"id": "r2", "text": "Great product, fast delivery", "language": null, "industries": ["e-cigarettes"]}"#,
        "\n",
        r#"{"id": "r3", "text": "All good, thanks Anna!", "employee_names": ["Anna Smith"]}"#,
        "\n"
    );
    let (code, lines, _) = run(&[], input.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "r1");
    assert_eq!(lines[0]["publishable"], false);
    let hit = &lines[0]["hits"][0];
    assert_eq!(hit["category"], "insult");
    assert!(hit["rule"].as_str().unwrap().starts_with("de.insult."));
    assert_eq!(hit["text"], "Vollidiot");
    assert_eq!(hit["start"], 23);
    assert_eq!(hit["end"], 32);
    assert_eq!(hit["start_utf16"], 22);
    assert_eq!(hit["end_utf16"], 31);
    assert!(hit["explanation"].as_str().unwrap().len() > 10);
    assert_eq!(lines[1]["hits"][0]["category"], "product_reference");
    // missing industries means ["general"]: names are checked
    assert_eq!(lines[2]["hits"][0]["category"], "personal_data");
    assert_eq!(lines[2]["hits"][0]["text"], "Anna");
}

#[test]
fn malformed_lines_yield_errors_and_scanning_continues() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\": \"a\", \"text\": \"fine\"}\n");
    input.extend_from_slice(b"this is not json\n");
    input.extend_from_slice(b"{\"id\": \"b\", \"text\": \"caf\xff\xfe\"}\n"); // invalid UTF-8
    input.extend_from_slice(b"{\"id\": \"c\", \"text\": 42}\n");
    input.extend_from_slice(b"{\"id\": \"d\", \"text\": \"x\", \"industries\": [\"gambling\"]}\n");
    input.extend_from_slice(b"{\"text\": \"no id\"}\n");
    input.extend_from_slice(b"[1, 2]\n");
    input.extend_from_slice(b"{\"id\": \"e\", \"text\": \"you idiot\", \"language\": \"en\"}\n");
    let (code, lines, _) = run(&[], &input);
    assert_ne!(code, 0, "a failed line makes the exit code non-zero");
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0]["publishable"], true);
    for (i, want_id) in [(1, None), (2, None), (3, Some("c")), (4, Some("d")), (5, None), (6, None)] {
        let l = &lines[i];
        assert_eq!(l["line"], i + 1, "{l}");
        assert!(l["error"]["code"].is_string(), "{l}");
        assert!(l["error"]["message"].is_string(), "{l}");
        match want_id {
            Some(id) => assert_eq!(l["id"], id),
            None => assert!(l["id"].is_null(), "{l}"),
        }
    }
    assert_eq!(lines[2]["error"]["code"], "invalid_utf8");
    assert_eq!(lines[1]["error"]["code"], "invalid_json");
    assert_eq!(lines[7]["id"], "e");
    assert_eq!(lines[7]["publishable"], false);
}

#[test]
fn rules_dir_replaces_builtin_packs() {
    let dir = std::env::temp_dir().join(format!("trustdesk-rules-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("en")).unwrap();
    std::fs::write(
        dir.join("en/insult.toml"),
        "language = \"en\"\ncategory = \"insult\"\nversion = \"test-1\"\n\n[[rule]]\nid = \"en.insult.0001\"\ndescription = \"test word\"\nwords = [\"blorf\"]\n",
    )
    .unwrap();
    let input = b"{\"id\": 7, \"text\": \"you blorf, you idiot\", \"language\": \"en\"}\n";
    let (code, lines, _) = run(&["--rules", dir.to_str().unwrap()], input);
    assert_eq!(code, 0);
    assert_eq!(lines[0]["id"], 7);
    let hits = lines[0]["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "only the replacement pack applies");
    assert_eq!(hits[0]["text"], "blorf");

    std::fs::write(
        dir.join("en/insult.toml"),
        "language = \"en\"\ncategory = \"insult\"\nversion = \"x\"\n\n[[rule]]\nid = \"en.insult.0002\"\ndescription = \"bad\"\npattern = \"(unclosed\"\n",
    )
    .unwrap();
    let (code, lines, stderr) = run(&["--rules", dir.to_str().unwrap()], input);
    assert_eq!(code, 2);
    assert!(lines.is_empty());
    assert!(stderr.contains("en.insult.0002"), "{stderr}");
    assert!(stderr.contains("en/insult.toml"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}
