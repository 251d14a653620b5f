//! Documents Trustdesk sends to people — the audit report a shop receives, a
//! dispute decision, an arbitration case file — as one self-contained HTML
//! file and as an A4 PDF.
//!
//! The builders ([`audit_report`], [`dispute_decision`],
//! [`arbitration_case_file`]) turn domain values into a small generic
//! [`Document`]; the renderers ([`to_html`], [`to_pdf`]) know nothing about
//! audits or disputes. Everything is pure: data in, bytes out. The only I/O is
//! reading the DejaVu Sans fonts from the system ([`Fonts::system`]).
//!
//! **Why krilla for the PDF.** We write PDFs with `krilla` (by the author of
//! typst's PDF export, built on typst's `pdf-writer`). It embeds fonts as
//! subsetted CID fonts with a ToUnicode map, shapes text with `rustybuzz`, and
//! embeds PNG/JPEG images, so umlauts, accents and Polish letters render and
//! stay copyable/searchable — exactly the parts that are easy to get subtly
//! wrong by hand with `pdf-writer` + `subsetter`. That hand-rolled route would
//! save little compile time, because the font subsetter (read-fonts,
//! write-fonts, skrifa) is the bulk of either tree; krilla adds only the
//! shaper and small image decoders (about 80 crates in all, no C code, no
//! proc-macro-heavy stacks). `printpdf` was passed over: its current releases
//! pull in a much larger tree (HTML layout, lopdf, allsorts) for features we
//! do not use. krilla 0.8 needs Rust 1.92 (the workspace already needs 1.90
//! for Tauri). Layout (word wrap, page breaks, headers and footers) is our
//! own, a few hundred lines in `pdf.rs`, measured with the same shaper krilla
//! draws with.

mod audit;
mod dispute;
mod html;
mod i18n;
mod image;
mod pdf;

pub use audit::{audit_report, AuditReportContext};
pub use dispute::{arbitration_case_file, dispute_decision, DisputeContext};
pub use html::to_html;
pub use pdf::{to_pdf, to_pdf_with_fonts, Fonts, FONT_DIRS};

/// A document to render: a title page, then sections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// BCP 47 language of the texts, e.g. `de`.
    pub lang: String,
    pub title: String,
    pub subtitle: String,
    /// Facts on the title page: shop, date, auditor, outcome…
    pub meta: Vec<(String, String)>,
    pub sections: Vec<Section>,
    /// Texts the renderers themselves print (page numbers, placeholders).
    pub labels: RenderLabels,
}

/// A headed part of a document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    pub heading: String,
    /// Start the section on a new PDF page (e.g. one page per improvement point).
    pub new_page: bool,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A smaller heading inside a section, e.g. one message of a timeline.
    Subheading(String),
    /// Text; a `\n` starts a new line.
    Paragraph(String),
    /// Label/value rows.
    KeyValues(Vec<(String, String)>),
    /// A highlighted remark, e.g. the auditor's note.
    Note { label: String, text: String },
    /// A bulleted list.
    List(Vec<String>),
    /// A PNG or JPEG shown as a thumbnail with its caption. The format is
    /// taken from the bytes; anything that does not decode is shown as
    /// [`RenderLabels::image_unavailable`].
    Image { caption: String, bytes: Vec<u8> },
}

/// The texts the renderers add themselves, in the document's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderLabels {
    /// "Page {page} of {pages}".
    pub page_of: String,
    pub image_unavailable: String,
    /// Left part of every page's footer, e.g. the issuer.
    pub footer: String,
}

impl Default for RenderLabels {
    fn default() -> Self {
        RenderLabels::for_lang("en")
    }
}

impl RenderLabels {
    /// Labels in `lang` (English, German, Dutch; English otherwise).
    pub fn for_lang(lang: &str) -> Self {
        let l = i18n::Lang::from_code(lang);
        RenderLabels {
            page_of: l
                .pick("Page {page} of {pages}", "Seite {page} von {pages}", "Pagina {page} van {pages}")
                .to_owned(),
            image_unavailable: l
                .pick(
                    "[This image could not be displayed]",
                    "[Dieses Bild kann nicht angezeigt werden]",
                    "[Deze afbeelding kan niet worden weergegeven]",
                )
                .to_owned(),
            footer: "Trustdesk".to_owned(),
        }
    }

    fn page_of(&self, page: usize, pages: usize) -> String {
        self.page_of.replace("{page}", &page.to_string()).replace("{pages}", &pages.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "font {file} not found in {searched}; install the Debian package fonts-dejavu-core (or your system's DejaVu fonts)"
    )]
    FontMissing { file: &'static str, searched: String },
    #[error("font {0} could not be read as a TrueType font")]
    FontInvalid(String),
    #[error("the dispute has no decision yet")]
    NotDecided,
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}
