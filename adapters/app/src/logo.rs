//! An account's logo: the uploaded bytes checked before anything is decoded (a byte limit, the
//! format read from the bytes, the size read from the header), decoded with limits, and
//! re-encoded as a PNG of the pixels alone, so no metadata of the upload (camera, location,
//! comments, colour profiles) is kept or served. The PNG goes to the store's blobs by digest,
//! then `LogoUpdated` names it.

use std::io::Cursor;

use chronid_domain::metadata::RequestFacts;
use chronid_domain::values::Logo;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{App, AppCode, AppError, Outcome, Principal};

/// Largest upload taken (a 150 x 150 image needs far less in any sensible encoding).
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// Largest decoded image held in memory: 150 x 150 RGBA at 16 bits per channel.
const MAX_DECODED_BYTES: usize = 150 * 150 * 8;

/// A logo ready to keep: a PNG of its pixels, its size and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoImage {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Lowercase hex SHA-256 of `png`.
    pub sha256: String,
}

fn too_large(width: u32, height: u32) -> AppError {
    AppError::new(
        AppCode::LogoTooLarge,
        format!(
            "the image cannot be uploaded: it is {width}x{height} px, larger than {max}x{max} px",
            max = Logo::MAX_SIDE
        ),
    )
}

fn invalid(why: &str) -> AppError {
    AppError::new(
        AppCode::LogoInvalid,
        format!("the image cannot be read: {why}"),
    )
}

/// Checks, decodes and re-encodes an uploaded logo.
pub fn prepare_logo(bytes: &[u8]) -> Result<LogoImage, AppError> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(invalid(&format!(
            "it has {} bytes; at most {MAX_LOGO_BYTES} are taken",
            bytes.len()
        )));
    }
    let (width, height, color, pixels) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)?
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(bytes)?
    } else {
        return Err(invalid("it is neither a PNG nor a JPEG image"));
    };
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder
            .write_header()
            .map_err(|e| AppError::internal(format!("encoding the logo: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| AppError::internal(format!("encoding the logo: {e}")))?;
    }
    let sha256 = hex::encode(Sha256::digest(&png));
    Ok(LogoImage {
        png,
        width,
        height,
        sha256,
    })
}

fn check_size(width: u32, height: u32) -> Result<(), AppError> {
    if width == 0 || height == 0 {
        return Err(invalid("it has no pixels"));
    }
    if width > Logo::MAX_SIDE || height > Logo::MAX_SIDE {
        return Err(too_large(width, height));
    }
    Ok(())
}

/// 8-bit pixels of a PNG, in its colour type (palette and low bit depths expanded).
fn decode_png(bytes: &[u8]) -> Result<(u32, u32, png::ColorType, Vec<u8>), AppError> {
    let limits = png::Limits {
        bytes: MAX_DECODED_BYTES,
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    // The header alone first: a large image is refused before its pixels are read.
    let mut reader = decoder.read_info().map_err(|e| match e {
        png::DecodingError::LimitsExceeded => invalid("its pixels need too much memory"),
        other => invalid(&other.to_string()),
    })?;
    let (width, height) = (reader.info().width, reader.info().height);
    check_size(width, height)?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut buffer)
        .map_err(|e| invalid(&e.to_string()))?;
    buffer.truncate(frame.buffer_size());
    Ok((width, height, frame.color_type, buffer))
}

/// 8-bit pixels of a JPEG (greyscale or RGB).
fn decode_jpeg(bytes: &[u8]) -> Result<(u32, u32, png::ColorType, Vec<u8>), AppError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(MAX_DECODED_BYTES);
    decoder.read_info().map_err(|e| invalid(&e.to_string()))?;
    let info = decoder.info().ok_or_else(|| invalid("no JPEG header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height)?;
    let color = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => png::ColorType::Grayscale,
        jpeg_decoder::PixelFormat::RGB24 => png::ColorType::Rgb,
        _ => return Err(invalid("only greyscale and RGB JPEG images are taken")),
    };
    let pixels = decoder.decode().map_err(|e| invalid(&e.to_string()))?;
    Ok((width, height, color, pixels))
}

impl App {
    /// Sets the account's logo from an uploaded PNG or JPEG (AccountManager).
    #[tracing::instrument(name = "set_logo", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn set_logo(
        &self,
        who: &Principal,
        account_id: Uuid,
        upload: &[u8],
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_account_manager(account_id)?;
        // Decoding is work for a blocking thread, not for the request's.
        let upload = upload.to_vec();
        let image = tokio::task::spawn_blocking(move || prepare_logo(&upload))
            .await
            .map_err(|e| AppError::internal(format!("decoding the logo: {e}")))??;
        let logo = Logo::new("image/png", image.width, image.height, image.sha256.clone())?;
        // The bytes first: the event that names them is written only once they are kept.
        self.blobs
            .put(&image.sha256, "image/png", &image.png)
            .await
            .map_err(AppError::internal)?;
        self.customize(
            who,
            account_id,
            None,
            None,
            None,
            Some(Some(logo)),
            None,
            facts,
        )
        .await
    }

    /// Removes the account's logo (AccountManager).
    pub async fn delete_logo(
        &self,
        who: &Principal,
        account_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        self.customize(who, account_id, None, None, None, Some(None), None, facts)
            .await
    }

    /// The account's logo as PNG bytes with its digest, if it has one.
    pub async fn logo_of(&self, account_id: Uuid) -> Result<Option<(String, Vec<u8>)>, AppError> {
        let Some(logo) = self
            .account(account_id)
            .await
            .ok()
            .and_then(|a| a.customization.logo)
        else {
            return Ok(None);
        };
        let blob = self
            .blobs
            .get(&logo.sha256)
            .await
            .map_err(AppError::internal)?;
        Ok(blob.map(|b| (logo.sha256, b.bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32, color: png::ColorType, with_text: bool) -> Vec<u8> {
        let channels = match color {
            png::ColorType::Rgba => 4,
            png::ColorType::Rgb => 3,
            _ => 1,
        };
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        if with_text {
            encoder
                .add_text_chunk("Author".into(), "GPS 45.81N 15.98E".into())
                .unwrap();
        }
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&vec![200u8; (width * height * channels) as usize])
            .unwrap();
        drop(writer);
        out
    }

    #[test]
    fn a_logo_is_re_encoded_without_its_metadata() {
        let upload = png_of(120, 80, png::ColorType::Rgba, true);
        assert!(upload.windows(3).any(|w| w == b"GPS"));
        let image = prepare_logo(&upload).unwrap();
        assert_eq!((image.width, image.height), (120, 80));
        assert!(!image.png.windows(3).any(|w| w == b"GPS"), "metadata kept");
        assert_eq!(image.sha256, hex::encode(Sha256::digest(&image.png)));
        // The same pixels give the same image (and digest).
        assert_eq!(
            prepare_logo(&png_of(120, 80, png::ColorType::Rgba, false)).unwrap(),
            image
        );
    }

    #[test]
    fn a_logo_over_150_px_is_refused_before_its_pixels_are_read() {
        for (w, h) in [(151, 10), (10, 151), (4000, 4000)] {
            let e = prepare_logo(&png_of(w, h, png::ColorType::Grayscale, false)).unwrap_err();
            assert_eq!(e.code, "ACC-LOGO-TOO-LARGE", "{w}x{h}");
            assert!(e.message.contains("cannot be uploaded"), "{}", e.message);
        }
        assert!(prepare_logo(&png_of(150, 150, png::ColorType::Rgb, false)).is_ok());
    }

    #[test]
    fn what_is_not_a_png_or_jpeg_is_refused() {
        for bad in [
            &b"GIF89a"[..],
            b"",
            b"\x89PNG\r\n\x1a\nbroken",
            &[0xFF, 0xD8, 0xFF, 0x00],
        ] {
            let e = prepare_logo(bad).unwrap_err();
            assert_eq!(e.code, "ACC-LOGO-INVALID");
        }
        let huge = vec![0u8; MAX_LOGO_BYTES + 1];
        assert_eq!(prepare_logo(&huge).unwrap_err().code, "ACC-LOGO-INVALID");
    }
}
