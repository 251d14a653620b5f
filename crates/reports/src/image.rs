//! Evidence images: which format the bytes are (never the name or a claimed
//! MIME type, which come from untrusted input) and whether they decode.

use std::io::Cursor;

/// Larger images are refused rather than decoded: a screenshot is far
/// smaller, and a decompression bomb must not exhaust memory.
const MAX_PIXELS: u64 = 40_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Png,
    Jpeg,
}

impl Format {
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
        }
    }
}

/// A PNG or JPEG we can show, with its pixel size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked {
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// `None` for anything that is not a fully decodable PNG or a JPEG with
/// readable headers, so that the renderers show a placeholder instead.
pub(crate) fn check(bytes: &[u8]) -> Option<Checked> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        check_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let (width, height) = jpeg_size(bytes)?;
        sane(width, height).then_some(Checked { format: Format::Jpeg, width, height })
    } else {
        None
    }
}

/// Whether a file is meant as a picture (and so gets a thumbnail, or a
/// placeholder if it turns out broken) rather than listed by name.
pub(crate) fn looks_like_image(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    bytes.starts_with(b"\x89PNG")
        || bytes.starts_with(&[0xFF, 0xD8])
        || [".png", ".jpg", ".jpeg"].iter().any(|e| lower.ends_with(e))
}

fn sane(width: u32, height: u32) -> bool {
    width > 0 && height > 0 && u64::from(width) * u64::from(height) <= MAX_PIXELS
}

/// Decodes the whole image: krilla decodes PNGs only when the PDF is
/// written, and a failure there would fail the whole document.
fn check_png(bytes: &[u8]) -> Option<Checked> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = (reader.info().width, reader.info().height);
    if !sane(width, height) {
        return None;
    }
    let mut buf = vec![0; reader.output_buffer_size()?];
    reader.next_frame(&mut buf).ok()?;
    Some(Checked { format: Format::Png, width, height })
}

/// Width and height from the first start-of-frame marker. JPEG data is
/// embedded as is (the PDF viewer decodes it), so the headers are what
/// must be sound.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let seg = bytes.get(i + 4..i + 2 + len)?;
            let height = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]);
            let width = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]);
            return Some((u32::from(width), u32::from(height)));
        }
        if marker == 0xD9 || marker == 0xDA {
            return None;
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&vec![200; (width * height * 3) as usize]).unwrap();
        w.finish().unwrap();
        out
    }

    #[test]
    fn accepts_real_png_and_refuses_the_rest() {
        let ok = png(3, 2);
        assert_eq!(check(&ok), Some(Checked { format: Format::Png, width: 3, height: 2 }));
        // Valid header, truncated pixel data: krilla would only notice when writing.
        assert_eq!(check(&ok[..ok.len() - 20]), None);
        assert_eq!(check(b"GIF89a"), None);
        assert_eq!(check(b""), None);
        assert_eq!(check(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]), None);
    }

    #[test]
    fn jpeg_size_from_sof() {
        // SOI, APP0 (len 4), SOF0 with 8-bit, height 2, width 5.
        let j = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x02, 0x00,
            0x05, 0x01, 0x01, 0x11, 0x00,
        ];
        assert_eq!(jpeg_size(&j), Some((5, 2)));
        assert_eq!(jpeg_size(&j[..12]), None);
    }
}
