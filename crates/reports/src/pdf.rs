//! A4 PDF: our own small layout engine (word wrap, page breaks, headers and
//! footers, thumbnail rows) over krilla's drawing.
//!
//! Layout runs first and yields pages of positioned drawing operations;
//! only then are they drawn, because the footer's "page n of m" needs the
//! page count.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

use crate::image::{self as img, Format};
use crate::{Block, Document, ReportError};

/// Where [`Fonts::system`] looks for DejaVu Sans (Debian's fonts-dejavu-core
/// first, then other distributions' usual places).
pub const FONT_DIRS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
];
const REGULAR_FILE: &str = "DejaVuSans.ttf";
const BOLD_FILE: &str = "DejaVuSans-Bold.ttf";

/// The two faces every PDF is set in. Load once and reuse with
/// [`to_pdf_with_fonts`] when writing many documents.
#[derive(Clone)]
pub struct Fonts {
    regular: Face,
    bold: Face,
}

#[derive(Clone)]
struct Face {
    bytes: Arc<Vec<u8>>,
    pdf: Font,
}

impl Face {
    fn new(bytes: Vec<u8>, name: &str) -> Result<Face, ReportError> {
        let bytes = Arc::new(bytes);
        rustybuzz::Face::from_slice(&bytes, 0).ok_or_else(|| ReportError::FontInvalid(name.to_owned()))?;
        let pdf =
            Font::new(bytes.clone().into(), 0).ok_or_else(|| ReportError::FontInvalid(name.to_owned()))?;
        Ok(Face { bytes, pdf })
    }
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").finish_non_exhaustive()
    }
}

impl Fonts {
    /// DejaVu Sans and DejaVu Sans Bold from the system ([`FONT_DIRS`]).
    pub fn system() -> Result<Fonts, ReportError> {
        let dirs: Vec<PathBuf> = FONT_DIRS.iter().map(PathBuf::from).collect();
        Fonts::from_dirs(&dirs)
    }

    /// DejaVu Sans and DejaVu Sans Bold from the first of `dirs` that has each.
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<Fonts, ReportError> {
        let read = |file: &'static str| -> Result<(Vec<u8>, PathBuf), ReportError> {
            dirs.iter().map(|d| d.join(file)).find_map(|p| std::fs::read(&p).ok().map(|b| (b, p))).ok_or_else(
                || ReportError::FontMissing {
                    file,
                    searched: dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
                },
            )
        };
        let (regular, rp) = read(REGULAR_FILE)?;
        let (bold, bp) = read(BOLD_FILE)?;
        Ok(Fonts { regular: Face::new(regular, &show(&rp))?, bold: Face::new(bold, &show(&bp))? })
    }

    /// Any TrueType/OpenType regular and bold face.
    pub fn from_bytes(regular: Vec<u8>, bold: Vec<u8>) -> Result<Fonts, ReportError> {
        Ok(Fonts { regular: Face::new(regular, "regular")?, bold: Face::new(bold, "bold")? })
    }
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

/// Renders the document as an A4 PDF set in the system's DejaVu Sans.
pub fn to_pdf(doc: &Document) -> Result<Vec<u8>, ReportError> {
    to_pdf_with_fonts(doc, &Fonts::system()?)
}

/// Renders the document as an A4 PDF set in `fonts`.
pub fn to_pdf_with_fonts(doc: &Document, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    let mut layout = Layout::new(fonts)?;
    layout.document(doc);
    let Layout { pages, bookmarks, .. } = layout;
    draw(doc, fonts, pages, bookmarks)
}

// A4 in points, and the page furniture.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 62.0;
const TOP: f32 = 78.0;
const BOTTOM: f32 = PAGE_H - 70.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const BODY: f32 = 10.5;
const LEADING: f32 = 1.42;
const KEY_W: f32 = 150.0;
const THUMB_W: f32 = 150.0;
const THUMB_H: f32 = 112.0;
const THUMB_GAP: f32 = 16.0;
/// Never blow a tiny image up beyond this many points per pixel.
const MAX_UPSCALE: f32 = 2.0;

type Rgb = (u8, u8, u8);
const INK: Rgb = (0x1f, 0x29, 0x33);
const MUTED: Rgb = (0x52, 0x60, 0x6d);
const BRAND: Rgb = (0x1d, 0x4e, 0x89);
const RULE: Rgb = (0xcb, 0xd2, 0xd9);
const NOTE_BG: Rgb = (0xff, 0xf8, 0xe1);
const NOTE_BAR: Rgb = (0xf0, 0xb4, 0x29);
const PLACEHOLDER_BG: Rgb = (0xf0, 0xf2, 0xf4);

#[derive(Debug, Clone)]
enum Op {
    Text { x: f32, y: f32, bold: bool, size: f32, color: Rgb, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    Image { x: f32, y: f32, w: f32, h: f32, image: Image },
}

struct Layout<'f> {
    regular: rustybuzz::Face<'f>,
    bold: rustybuzz::Face<'f>,
    pages: Vec<Vec<Op>>,
    /// Section headings with their page and position, for the PDF outline.
    bookmarks: Vec<(String, usize, f32)>,
    y: f32,
}

/// Text fit for drawing: no control characters, tabs as spaces.
fn clean(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Result<Self, ReportError> {
        let face = |f: &'f Face, n: &str| {
            rustybuzz::Face::from_slice(&f.bytes, 0).ok_or_else(|| ReportError::FontInvalid(n.to_owned()))
        };
        Ok(Layout {
            regular: face(&fonts.regular, "regular")?,
            bold: face(&fonts.bold, "bold")?,
            pages: vec![Vec::new()],
            bookmarks: Vec::new(),
            y: TOP,
        })
    }

    /// Width in points, shaped exactly as krilla's `draw_text` shapes it.
    fn width(&self, text: &str, bold: bool, size: f32) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(text);
        buf.guess_segment_properties();
        let out = rustybuzz::shape(face, &[], buf);
        let units: i32 = out.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 / f32::from(face.units_per_em() as u16) * size
    }

    /// Lines of at most `max` points; `\n` forces a break, and a word longer
    /// than a line (a URL, a hash) is broken between characters.
    fn wrap(&self, text: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for hard in clean(text).split('\n') {
            let mut line = String::new();
            for word in hard.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
                if self.width(&candidate, bold, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                if self.width(word, bold, size) <= max {
                    line = word.to_owned();
                    continue;
                }
                for ch in word.chars() {
                    let mut next = line.clone();
                    next.push(ch);
                    if !line.is_empty() && self.width(&next, bold, size) > max {
                        lines.push(std::mem::replace(&mut line, ch.to_string()));
                    } else {
                        line = next;
                    }
                }
            }
            lines.push(line);
        }
        lines
    }

    /// `text` cut with an ellipsis to fit `max` points.
    fn fit(&self, text: &str, bold: bool, size: f32, max: f32) -> String {
        let text = clean(text).replace('\n', " ");
        if self.width(&text, bold, size) <= max {
            return text;
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let s: String = chars.iter().collect::<String>() + "…";
            if self.width(&s, bold, size) <= max {
                return s;
            }
        }
        String::new()
    }

    fn op(&mut self, op: Op) {
        self.pages.last_mut().expect("there is always a page").push(op);
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Breaks the page unless `h` more points fit.
    fn need(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    /// Wrapped lines at `x`, breaking pages between lines.
    fn lines(&mut self, lines: &[String], x: f32, bold: bool, size: f32, color: Rgb) {
        let lh = size * LEADING;
        for l in lines {
            self.need(lh);
            self.y += lh;
            if !l.is_empty() {
                self.op(Op::Text { x, y: self.y - lh * 0.27, bold, size, color, text: l.clone() });
            }
        }
    }

    fn paragraph(&mut self, text: &str, x: f32, w: f32, bold: bool, size: f32, color: Rgb) {
        let lines = self.wrap(text, bold, size, w);
        self.lines(&lines, x, bold, size, color);
    }

    fn document(&mut self, doc: &Document) {
        self.title_page(doc);
        for (i, s) in doc.sections.iter().enumerate() {
            // The first section after the title page always starts a page.
            if i == 0 || s.new_page {
                self.new_page();
            } else {
                self.y += 18.0;
                // Keep a heading with at least a few lines of its body.
                self.need(16.0 * LEADING + 4.0 * BODY * LEADING);
            }
            let heading = self.wrap(&s.heading, true, 16.0, CONTENT_W);
            self.bookmarks.push((clean(&s.heading).replace('\n', " "), self.pages.len() - 1, self.y));
            self.lines(&heading, MARGIN_X, true, 16.0, BRAND);
            self.y += 4.0;
            self.op(Op::Rect { x: MARGIN_X, y: self.y, w: CONTENT_W, h: 0.8, color: RULE });
            self.y += 8.0;
            self.blocks(&s.blocks, doc);
        }
    }

    fn title_page(&mut self, doc: &Document) {
        self.op(Op::Rect { x: 0.0, y: 0.0, w: PAGE_W, h: 14.0, color: BRAND });
        self.y = 190.0;
        self.paragraph(&doc.title, MARGIN_X, CONTENT_W, true, 26.0, BRAND);
        if !doc.subtitle.is_empty() {
            self.y += 6.0;
            self.paragraph(&doc.subtitle, MARGIN_X, CONTENT_W, false, 14.0, MUTED);
        }
        self.y += 18.0;
        self.op(Op::Rect { x: MARGIN_X, y: self.y, w: 60.0, h: 3.0, color: BRAND });
        self.y += 22.0;
        self.key_values(&doc.meta, 11.0);
    }

    fn key_values(&mut self, rows: &[(String, String)], size: f32) {
        let lh = size * LEADING;
        for (k, v) in rows {
            let keys = self.wrap(k, true, size - 1.0, KEY_W - 12.0);
            let values = self.wrap(v, false, size, CONTENT_W - KEY_W);
            // Keep short rows together; long values flow over pages line by line.
            self.need(lh * keys.len().max(values.len()).min(4) as f32);
            for i in 0..keys.len().max(values.len()) {
                self.need(lh);
                self.y += lh;
                let base = self.y - lh * 0.27;
                if let Some(k) = keys.get(i).filter(|k| !k.is_empty()) {
                    self.op(Op::Text {
                        x: MARGIN_X,
                        y: base,
                        bold: true,
                        size: size - 1.0,
                        color: MUTED,
                        text: k.clone(),
                    });
                }
                if let Some(v) = values.get(i).filter(|v| !v.is_empty()) {
                    self.op(Op::Text {
                        x: MARGIN_X + KEY_W,
                        y: base,
                        bold: false,
                        size,
                        color: INK,
                        text: v.clone(),
                    });
                }
            }
            self.y += 4.0;
        }
    }

    fn blocks(&mut self, blocks: &[Block], doc: &Document) {
        let mut i = 0;
        while i < blocks.len() {
            match &blocks[i] {
                Block::Subheading(t) => {
                    self.y += 8.0;
                    self.need(12.0 * LEADING + 3.0 * BODY * LEADING);
                    self.paragraph(t, MARGIN_X, CONTENT_W, true, 12.0, INK);
                    self.y += 2.0;
                }
                Block::Paragraph(t) => {
                    self.paragraph(t, MARGIN_X, CONTENT_W, false, BODY, INK);
                    self.y += 6.0;
                }
                Block::KeyValues(rows) => {
                    self.key_values(rows, BODY);
                    self.y += 4.0;
                }
                Block::Note { label, text } => self.note(label, text),
                Block::List(items) => {
                    for item in items {
                        let lines = self.wrap(item, false, BODY, CONTENT_W - 16.0);
                        // The first line is placed right here, so its page and height are known.
                        self.need(BODY * LEADING);
                        let (page, top) = (self.pages.len() - 1, self.y);
                        self.lines(&lines, MARGIN_X + 16.0, false, BODY, INK);
                        self.pages[page].push(Op::Text {
                            x: MARGIN_X + 4.0,
                            y: top + BODY * LEADING * 0.73,
                            bold: false,
                            size: BODY,
                            color: MUTED,
                            text: "•".into(),
                        });
                        self.y += 2.0;
                    }
                    self.y += 4.0;
                }
                Block::Image { .. } => {
                    let end = blocks[i..]
                        .iter()
                        .position(|b| !matches!(b, Block::Image { .. }))
                        .map_or(blocks.len(), |n| i + n);
                    // Thumbnails flow side by side, as many as fit in a row.
                    let per_row = ((CONTENT_W + THUMB_GAP) / (THUMB_W + THUMB_GAP)) as usize;
                    for row in blocks[i..end].chunks(per_row.max(1)) {
                        self.thumbnail_row(row, doc);
                    }
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
    }

    fn note(&mut self, label: &str, text: &str) {
        let w = CONTENT_W - 24.0;
        let mut lines: Vec<(bool, String)> =
            self.wrap(label, true, BODY, w).into_iter().map(|l| (true, l)).collect();
        lines.extend(self.wrap(text, false, BODY, w).into_iter().map(|l| (false, l)));
        let lh = BODY * LEADING;
        self.y += 4.0;
        self.need(lh * lines.len().min(3) as f32 + 12.0);
        // The box is drawn as strips, one per line, so it can continue on the next page.
        let strip = |me: &mut Self, h: f32| {
            me.op(Op::Rect { x: MARGIN_X, y: me.y, w: CONTENT_W, h, color: NOTE_BG });
            me.op(Op::Rect { x: MARGIN_X, y: me.y, w: 3.5, h, color: NOTE_BAR });
        };
        strip(self, 6.0);
        self.y += 6.0;
        for (bold, l) in lines {
            if self.y + lh > BOTTOM {
                self.new_page();
            }
            strip(self, lh);
            self.y += lh;
            if !l.is_empty() {
                let color = if bold { MUTED } else { INK };
                self.op(Op::Text {
                    x: MARGIN_X + 14.0,
                    y: self.y - lh * 0.27,
                    bold,
                    size: BODY,
                    color,
                    text: l,
                });
            }
        }
        strip(self, 6.0);
        self.y += 16.0;
    }

    fn thumbnail_row(&mut self, row: &[Block], doc: &Document) {
        struct Cell {
            image: Option<(Image, f32, f32)>,
            caption: Vec<String>,
        }
        let cells: Vec<Cell> = row
            .iter()
            .filter_map(|b| match b {
                Block::Image { caption, bytes } => Some((caption, bytes)),
                _ => None,
            })
            .map(|(caption, bytes)| Cell {
                image: embeddable(bytes).map(|(image, w, h)| {
                    let scale = (THUMB_W / w as f32).min(THUMB_H / h as f32).min(MAX_UPSCALE);
                    (image, w as f32 * scale, h as f32 * scale)
                }),
                caption: self.wrap(caption, false, 8.5, THUMB_W).into_iter().take(3).collect(),
            })
            .collect();
        let caption_h = cells.iter().map(|c| c.caption.len()).max().unwrap_or(0) as f32 * 8.5 * LEADING;
        let pic_h = cells.iter().map(|c| c.image.as_ref().map_or(THUMB_H * 0.6, |i| i.2)).fold(0.0, f32::max);
        self.y += 6.0;
        self.need(pic_h + caption_h + 8.0);
        let top = self.y;
        for (n, cell) in cells.iter().enumerate() {
            let x = MARGIN_X + n as f32 * (THUMB_W + THUMB_GAP);
            let h = match &cell.image {
                Some((image, w, h)) => {
                    // A hairline frame: light screenshots otherwise melt into the page.
                    self.op(Op::Rect { x: x - 0.75, y: top - 0.75, w: w + 1.5, h: h + 1.5, color: RULE });
                    self.op(Op::Image { x, y: top, w: *w, h: *h, image: image.clone() });
                    *h
                }
                None => {
                    let h = THUMB_H * 0.6;
                    self.op(Op::Rect { x, y: top, w: THUMB_W, h, color: PLACEHOLDER_BG });
                    let lines = self.wrap(&doc.labels.image_unavailable, false, 8.5, THUMB_W - 12.0);
                    let mut y = top + h / 2.0 - (lines.len() as f32 * 8.5 * LEADING) / 2.0;
                    for l in lines {
                        y += 8.5 * LEADING;
                        self.op(Op::Text {
                            x: x + 6.0,
                            y: y - 3.0,
                            bold: false,
                            size: 8.5,
                            color: MUTED,
                            text: l,
                        });
                    }
                    h
                }
            };
            let mut y = top + h + 3.0;
            for l in &cell.caption {
                y += 8.5 * LEADING;
                self.op(Op::Text { x, y: y - 3.0, bold: false, size: 8.5, color: MUTED, text: l.clone() });
            }
        }
        self.y = top + pic_h + caption_h + 14.0;
    }
}

/// The image and its pixel size, if it can go into the PDF.
fn embeddable(bytes: &[u8]) -> Option<(Image, u32, u32)> {
    let checked = img::check(bytes)?;
    let data: krilla::Data = bytes.to_vec().into();
    let image = match checked.format {
        Format::Png => Image::from_png(data, true),
        Format::Jpeg => Image::from_jpeg(data, true),
    }
    .ok()?;
    Some((image, checked.width, checked.height))
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw(
    doc: &Document,
    fonts: &Fonts,
    pages: Vec<Vec<Op>>,
    bookmarks: Vec<(String, usize, f32)>,
) -> Result<Vec<u8>, ReportError> {
    let measure = Layout::new(fonts)?;
    let count = pages.len();
    let mut pdf = krilla::Document::new();
    let settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| ReportError::Pdf("page size".into()))?;
    for (n, mut ops) in pages.into_iter().enumerate() {
        // Page furniture: a running header after the title page, a footer everywhere.
        if n > 0 {
            let title = measure.fit(&doc.title, false, 8.5, CONTENT_W);
            ops.push(Op::Text { x: MARGIN_X, y: 44.0, bold: false, size: 8.5, color: MUTED, text: title });
            ops.push(Op::Rect { x: MARGIN_X, y: 51.0, w: CONTENT_W, h: 0.5, color: RULE });
        }
        let page_of = doc.labels.page_of(n + 1, count);
        let page_w = measure.width(&page_of, false, 8.5);
        let footer = measure.fit(&doc.labels.footer, false, 8.5, CONTENT_W - page_w - 20.0);
        ops.push(Op::Rect { x: MARGIN_X, y: PAGE_H - 50.0, w: CONTENT_W, h: 0.5, color: RULE });
        ops.push(Op::Text {
            x: MARGIN_X,
            y: PAGE_H - 36.0,
            bold: false,
            size: 8.5,
            color: MUTED,
            text: footer,
        });
        ops.push(Op::Text {
            x: PAGE_W - MARGIN_X - page_w,
            y: PAGE_H - 36.0,
            bold: false,
            size: 8.5,
            color: MUTED,
            text: page_of,
        });

        let mut page = pdf.start_page_with(settings.clone());
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, bold, size, color, text } => {
                    let font = if bold { &fonts.bold.pdf } else { &fonts.regular.pdf };
                    s.set_fill(Some(fill(color)));
                    s.draw_text(Point::from_xy(x, y), font.clone(), size, &text, false, TextDirection::Auto);
                }
                Op::Rect { x, y, w, h, color } => {
                    let mut pb = PathBuilder::new();
                    if let Some(r) = Rect::from_xywh(x, y, w, h) {
                        pb.push_rect(r);
                    }
                    if let Some(path) = pb.finish() {
                        s.set_fill(Some(fill(color)));
                        s.draw_path(&path);
                    }
                }
                Op::Image { x, y, w, h, image } => {
                    if let Some(size) = Size::from_wh(w, h) {
                        s.push_transform(&Transform::from_translate(x, y));
                        s.draw_image(image, size);
                        s.pop();
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }

    let mut outline = Outline::new();
    for (title, page, y) in bookmarks {
        outline.push_child(OutlineNode::new(title, XyzDestination::new(page, Point::from_xy(0.0, y))));
    }
    pdf.set_outline(outline);
    pdf.set_metadata(
        Metadata::new()
            .title(clean(&doc.title))
            .language(doc.lang.clone())
            .creator("Trustdesk".into())
            .producer("Trustdesk (krilla)".into()),
    );
    pdf.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::system().expect("DejaVu Sans is installed (Debian: fonts-dejavu-core)")
    }

    #[test]
    fn missing_fonts_say_what_to_install() {
        let err = Fonts::from_dirs(&[PathBuf::from("/nonexistent-font-dir")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("DejaVuSans.ttf") && msg.contains("fonts-dejavu-core"), "{msg}");
        assert!(matches!(Fonts::from_bytes(vec![1, 2, 3], vec![]), Err(ReportError::FontInvalid(_))));
    }

    #[test]
    fn wrap_respects_width_and_breaks() {
        let f = fonts();
        let l = Layout::new(&f).unwrap();
        let text =
            "Die Widerrufsbelehrung muss vollständig sein.\nZweite Zeile mit Straße und łódź ".repeat(5);
        for line in l.wrap(&text, false, BODY, 200.0) {
            assert!(l.width(&line, false, BODY) <= 200.0, "{line:?} too wide");
        }
        let url = format!("https://example.invalid/{}", "x".repeat(300));
        let lines = l.wrap(&url, false, BODY, 100.0);
        assert!(lines.len() > 3);
        assert_eq!(lines.concat(), url, "a long word is split, not lost");
        assert_eq!(l.wrap("a\n\nb", false, BODY, 100.0), vec!["a", "", "b"]);
        assert!(l.width("WWWW", true, 10.0) > l.width("iiii", true, 10.0));
        assert!(l.fit(&"long ".repeat(50), false, 9.0, 80.0).ends_with('…'));
    }
}
