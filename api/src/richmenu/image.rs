//! A page's image against LINE's rules: JPEG or PNG, exactly the page's
//! size, at most 1 MB. A PNG over 1 MB is re-encoded as JPEG (the staff
//! member is told); anything else that does not fit is refused with the
//! page's field path, before anything reaches LINE.

use futures::TryStreamExt;
use image::{ImageFormat, ImageReader};
use uuid::Uuid;

use crate::app::App;

/// LINE's limit for a rich-menu image.
pub const MAX_BYTES: usize = 1024 * 1024;

/// What became of a page's image.
pub enum Fit {
    /// As uploaded.
    Fits,
    /// Re-encoded to fit; the page now names this image.
    Replaced(Uuid),
}

/// The stored image's bytes.
pub async fn bytes(app: &App, id: Uuid) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(stream) = app
        .media
        .read(id, crate::storage::Variant::Original)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(stream.map_ok(|b| b.to_vec()).try_concat().await?))
}

/// Checks (and if need be re-encodes) the image for a `width`×`height`
/// page. `Err` is the message staff see.
pub async fn fit(
    app: &App,
    id: Uuid,
    width: i32,
    height: i32,
) -> anyhow::Result<Result<Fit, String>> {
    let Some(original) = bytes(app, id).await? else {
        return Ok(Err(
            "画像が見つかりません。アップロードし直してください".into()
        ));
    };
    let format = match crate::media::sniff(&original) {
        Some((_, "image/png")) => ImageFormat::Png,
        Some((_, "image/jpeg")) => ImageFormat::Jpeg,
        _ => return Ok(Err("画像はJPEGかPNGにしてください".into())),
    };
    let size = ImageReader::with_format(std::io::Cursor::new(&original), format).into_dimensions();
    let Ok((w, h)) = size else {
        return Ok(Err("画像を読み取れませんでした".into()));
    };
    if (w as i32, h as i32) != (width, height) {
        return Ok(Err(format!(
            "画像の大きさ（{w}×{h}）がメニューの大きさ（{width}×{height}）と違います"
        )));
    }
    if original.len() <= MAX_BYTES {
        return Ok(Ok(Fit::Fits));
    }
    if format != ImageFormat::Png {
        return Ok(Err("画像を1MB以下にしてください".into()));
    }
    let Some(jpeg) = tokio::task::spawn_blocking(move || reencode(&original)).await? else {
        return Ok(Err(
            "画像を1MB以下にできませんでした。色数を減らすなどして小さくしてください".into(),
        ));
    };
    let replaced = crate::media::store_generated(app, jpeg, "image/jpeg", "richmenu.jpg").await?;
    Ok(Ok(Fit::Replaced(replaced)))
}

/// A PNG as a JPEG under 1 MB, trying lower qualities in turn.
fn reencode(png: &[u8]) -> Option<Vec<u8>> {
    let img = image::load_from_memory_with_format(png, ImageFormat::Png)
        .ok()?
        .to_rgb8();
    for quality in [90u8, 80, 70, 60] {
        let mut out = Vec::new();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        enc.encode_image(&img).ok()?;
        if out.len() <= MAX_BYTES {
            return Some(out);
        }
    }
    None
}
