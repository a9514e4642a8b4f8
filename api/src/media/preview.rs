//! The preview image LINE shows before the original loads: at most 1 MB. A
//! small original is its own preview; a large one is scaled down and saved
//! as JPEG at falling quality until it fits.

use image::{ImageFormat, ImageReader, imageops::FilterType};

use super::MAX_PREVIEW_BYTES;

/// Checks the image decodes, and returns a preview's bytes (`None`: the
/// original is small enough to serve as its own preview).
pub fn make(original: &[u8], format: ImageFormat) -> Result<Option<Vec<u8>>, String> {
    let img = ImageReader::with_format(std::io::Cursor::new(original), format)
        .decode()
        .map_err(|_| "画像を読み込めません（JPEGかPNGの画像を選んでください）".to_string())?;
    if original.len() as u64 <= MAX_PREVIEW_BYTES {
        return Ok(None);
    }
    for (edge, quality) in [(1024, 85), (1024, 70), (800, 70), (640, 60), (480, 50)] {
        let small = img.resize(edge, edge, FilterType::Triangle).to_rgb8();
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        enc.encode_image(&small).map_err(|e| e.to_string())?;
        if out.len() as u64 <= MAX_PREVIEW_BYTES {
            return Ok(Some(out));
        }
    }
    Err("プレビュー画像を1MB以下にできませんでした".into())
}
