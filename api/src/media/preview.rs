//! The preview image LINE shows before the original loads: at most 1 MB. A
//! small original is its own preview; a large one is scaled down and saved
//! as JPEG at falling quality until it fits.

use image::{ImageFormat, ImageReader, imageops::FilterType};

use super::MAX_PREVIEW_BYTES;

/// Largest side and area an upload may have. A small compressed file can
/// claim a huge picture (a 1.5 MB PNG of 11,000 × 11,000 decodes to 363 MB):
/// the header is read first and such images are refused before decoding.
pub const MAX_SIDE: u32 = 10_000;
pub const MAX_PIXELS: u64 = 40_000_000;
/// What one decode may allocate (40 MP of RGBA with room to spare).
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JPEG or PNG that decodes.
    Unreadable,
    /// Larger than [`MAX_SIDE`] or [`MAX_PIXELS`].
    TooLarge { width: u32, height: u32 },
    /// No preview under LINE's 1 MB could be made.
    NoPreview,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable => "BAD_IMAGE",
            Self::TooLarge { .. } => "IMAGE_TOO_LARGE",
            Self::NoPreview => "BAD_IMAGE",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unreadable => "画像を読み込めません（JPEGかPNGの画像を選んでください）".into(),
            Self::TooLarge { width, height } => format!(
                "画像が大きすぎます（{width}×{height}ピクセル）。一辺10,000ピクセル・4,000万画素以下にしてください"
            ),
            Self::NoPreview => "プレビュー画像を1MB以下にできませんでした".into(),
        }
    }
}

/// The picture's size from its header alone (no pixels decoded).
pub fn dimensions(original: &[u8], format: ImageFormat) -> Result<(u32, u32), Refusal> {
    ImageReader::with_format(std::io::Cursor::new(original), format)
        .into_dimensions()
        .map_err(|_| Refusal::Unreadable)
}

/// Checks the image decodes, and returns a preview's bytes (`None`: the
/// original is small enough to serve as its own preview).
pub fn make(original: &[u8], format: ImageFormat) -> Result<Option<Vec<u8>>, Refusal> {
    let (width, height) = dimensions(original, format)?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refusal::TooLarge { width, height });
    }
    let mut reader = ImageReader::with_format(std::io::Cursor::new(original), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| Refusal::Unreadable)?;
    if original.len() as u64 <= MAX_PREVIEW_BYTES {
        return Ok(None);
    }
    for (edge, quality) in [(1024, 85), (1024, 70), (800, 70), (640, 60), (480, 50)] {
        let small = img.resize(edge, edge, FilterType::Triangle).to_rgb8();
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        enc.encode_image(&small).map_err(|_| Refusal::NoPreview)?;
        if out.len() as u64 <= MAX_PREVIEW_BYTES {
            return Ok(Some(out));
        }
    }
    Err(Refusal::NoPreview)
}
