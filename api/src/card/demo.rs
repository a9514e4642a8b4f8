//! Demo data: a card image, the common barcode and notice, and a first
//! Maitama pass, so the LIFF pages show something real from the first run.
//! Seeded once (only while nothing has been set).

use uuid::Uuid;

use super::settings::{self, CardSettingsInput, PassInput};
use crate::app::App;
use crate::auth::Caller;

/// A plain gradient PNG (the prefecture supplies the real artwork).
#[allow(
    clippy::expect_used,
    reason = "encoding a PNG into memory does not fail"
)]
fn gradient(w: u32, h: u32, from: [u8; 3], to: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let t = (x as f32 / w as f32 + y as f32 / h as f32) / 2.0;
        let mix = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t) as u8;
        image::Rgb([
            mix(from[0], to[0]),
            mix(from[1], to[1]),
            mix(from[2], to[2]),
        ])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encoding a PNG in memory");
    out
}

async fn store_image(app: &App, bytes: Vec<u8>, name: &str) -> anyhow::Result<Uuid> {
    crate::media::store_generated(app, bytes, "image/png", name).await
}

/// Returns whether anything was created.
pub async fn seed(app: &App) -> anyhow::Result<bool> {
    let mut conn = app.db.get().await?;
    let has_card = settings::current_card_settings(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_some();
    let has_pass = settings::current_pass(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_some();
    drop(conn);
    let system = Caller::system();
    if !has_card {
        let image = store_image(
            app,
            gradient(600, 360, [0, 114, 178], [230, 159, 0]),
            "demo-card.png",
        )
        .await?;
        settings::update_card_settings(
            app,
            &system,
            CardSettingsInput {
                card_image_id: Some(image),
                notice: "協賛店のレジでこの画面を提示してください。優待内容は店舗により異なります。".into(),
                barcode_value: Some("4912345678904".into()),
                barcode_image_id: None,
                pregnancy_grace_days: 365,
                lapse_notice: "パパママ応援ショップ優待カードの対象期間が終了しました。ご利用ありがとうございました。".into(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    if !has_pass {
        let image = store_image(
            app,
            gradient(600, 360, [0, 103, 77], [86, 180, 233]),
            "demo-pass.png",
        )
        .await?;
        settings::publish_pass(
            app,
            &system,
            PassInput {
                image_ids: vec![image],
                body: "県内の協賛施設・店舗でこの画面を提示すると、優待サービスを受けられます。"
                    .into(),
                link_url: Some("https://www.pref.saitama.lg.jp/".into()),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(!has_card || !has_pass)
}
