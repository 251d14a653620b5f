//! One self-contained HTML file: inline CSS, images as `data:` URIs, no
//! scripts. Every text is untrusted (shop names, notes, messages) and is
//! escaped, attributes included.

use std::fmt::Write;

use base64::Engine;

use crate::image;
use crate::{Block, Document};

const CSS: &str = r#"
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933; background: #f4f5f7; margin: 0; line-height: 1.5; }
main { max-width: 46rem; margin: 2rem auto; background: #fff; padding: 2.5rem 3rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
header.title { border-bottom: 4px solid #1d4e89; padding-bottom: 1.25rem; margin-bottom: 2rem; }
h1 { font-size: 1.9rem; margin: 0 0 .25rem; color: #1d4e89; }
.subtitle { font-size: 1.1rem; color: #52606d; margin: 0 0 1.25rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .75rem .3rem 0; border-bottom: 1px solid #e4e7eb; }
th { width: 35%; color: #52606d; font-weight: 600; }
section { margin: 0 0 2rem; }
h2 { font-size: 1.3rem; color: #1d4e89; border-bottom: 1px solid #cbd2d9; padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
p { margin: .5rem 0; white-space: pre-line; overflow-wrap: anywhere; }
.note { background: #fff8e1; border-left: 4px solid #f0b429; padding: .5rem .75rem; margin: .75rem 0; }
.note strong { display: block; }
figure { display: inline-block; margin: .5rem 1rem .5rem 0; vertical-align: top; max-width: 14rem; }
figure img { max-width: 14rem; max-height: 10rem; border: 1px solid #cbd2d9; }
figcaption { font-size: .8rem; color: #52606d; overflow-wrap: anywhere; }
.placeholder { display: block; width: 14rem; padding: 2rem .5rem; border: 1px dashed #9aa5b1; color: #52606d; text-align: center; font-size: .85rem; }
li { overflow-wrap: anywhere; }
footer { margin-top: 3rem; font-size: .8rem; color: #7b8794; }
@media print { body { background: #fff; } main { box-shadow: none; margin: 0; max-width: none; } section.new-page { break-before: page; } }
"#;

/// Escapes text for element content and quoted attribute values alike.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline have no business in a report.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders the document as one HTML file that needs nothing else to display.
pub fn to_html(doc: &Document) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let lang = if doc.lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !doc.lang.is_empty() {
        doc.lang.as_str()
    } else {
        "en"
    };
    // `write!` to a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<header class=\"title\">\n<h1>{}</h1>\n",
        escape(&doc.title),
        escape(&doc.title)
    );
    if !doc.subtitle.is_empty() {
        let _ = writeln!(h, "<p class=\"subtitle\">{}</p>", escape(&doc.subtitle));
    }
    key_values(&mut h, &doc.meta);
    h.push_str("</header>\n");

    for s in &doc.sections {
        let class = if s.new_page { " class=\"new-page\"" } else { "" };
        let _ = writeln!(h, "<section{class}>\n<h2>{}</h2>", escape(&s.heading));
        for b in &s.blocks {
            block(&mut h, b, doc);
        }
        h.push_str("</section>\n");
    }
    let _ = writeln!(h, "<footer>{}</footer>\n</main>\n</body>\n</html>", escape(&doc.labels.footer));
    h
}

fn key_values(h: &mut String, rows: &[(String, String)]) {
    if rows.is_empty() {
        return;
    }
    h.push_str("<table>\n");
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    h.push_str("</table>\n");
}

fn block(h: &mut String, b: &Block, doc: &Document) {
    match b {
        Block::Subheading(t) => {
            let _ = writeln!(h, "<h3>{}</h3>", escape(t));
        }
        Block::Paragraph(t) => {
            let _ = writeln!(h, "<p>{}</p>", escape(t));
        }
        Block::KeyValues(rows) => key_values(h, rows),
        Block::Note { label, text } => {
            let _ =
                writeln!(h, "<div class=\"note\"><strong>{}</strong>{}</div>", escape(label), escape(text));
        }
        Block::List(items) => {
            h.push_str("<ul>\n");
            for i in items {
                let _ = writeln!(h, "<li>{}</li>", escape(i));
            }
            h.push_str("</ul>\n");
        }
        Block::Image { caption, bytes } => {
            h.push_str("<figure>");
            match image::check(bytes) {
                Some(img) => {
                    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                    let _ = write!(
                        h,
                        "<img src=\"data:{};base64,{data}\" alt=\"{}\" width=\"{}\" height=\"{}\">",
                        img.format.mime(),
                        escape(caption),
                        img.width,
                        img.height
                    );
                }
                None => {
                    let _ = write!(
                        h,
                        "<span class=\"placeholder\">{}</span>",
                        escape(&doc.labels.image_unavailable)
                    );
                }
            }
            let _ = writeln!(h, "<figcaption>{}</figcaption></figure>", escape(caption));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Section;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\nd"), "abc\nd");
    }

    #[test]
    fn hostile_text_never_becomes_markup() {
        let evil = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>'"#;
        let doc = Document {
            lang: r#"en"><script>alert(3)</script>"#.into(),
            title: evil.into(),
            subtitle: evil.into(),
            meta: vec![(evil.into(), evil.into())],
            sections: vec![Section {
                heading: evil.into(),
                new_page: false,
                blocks: vec![
                    Block::Subheading(evil.into()),
                    Block::Paragraph(evil.into()),
                    Block::KeyValues(vec![(evil.into(), evil.into())]),
                    Block::Note { label: evil.into(), text: evil.into() },
                    Block::List(vec![evil.into()]),
                    Block::Image { caption: evil.into(), bytes: crate::image::tests::png(2, 2) },
                    Block::Image { caption: evil.into(), bytes: b"<svg onload=alert(4)>".to_vec() },
                ],
            }],
            labels: crate::RenderLabels { footer: evil.into(), ..Default::default() },
        };
        let html = to_html(&doc);
        for bad in ["<script", "<img src=x", "\"><img", "<svg", "onerror=alert(2)>"] {
            assert!(!html.contains(bad), "{bad:?} got through:\n{html}");
        }
        assert!(html.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;"
        ));
        assert!(html.contains("<html lang=\"en\">"));
        // Only our own tags: every '<' starts a tag from our fixed set.
        let tags: std::collections::BTreeSet<&str> = html
            .split('<')
            .skip(1)
            .map(|t| t.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""))
            .collect();
        let allowed = [
            "!DOCTYPE",
            "html",
            "/html",
            "head",
            "/head",
            "meta",
            "title",
            "/title",
            "style",
            "/style",
            "body",
            "/body",
            "main",
            "/main",
            "header",
            "/header",
            "h1",
            "/h1",
            "p",
            "/p",
            "table",
            "/table",
            "tr",
            "/tr",
            "th",
            "/th",
            "td",
            "/td",
            "section",
            "/section",
            "h2",
            "/h2",
            "h3",
            "/h3",
            "div",
            "/div",
            "strong",
            "/strong",
            "ul",
            "/ul",
            "li",
            "/li",
            "figure",
            "/figure",
            "img",
            "figcaption",
            "/figcaption",
            "span",
            "/span",
            "footer",
            "/footer",
        ];
        for t in tags {
            assert!(allowed.contains(&t), "unexpected tag <{t}");
        }
        assert_eq!(html.matches("<img ").count(), 1, "only the real PNG becomes an image");
        assert!(html.contains("data:image/png;base64,"));
        assert!(html.contains("[This image could not be displayed]"));
    }
}
