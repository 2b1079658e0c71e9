//! The real implementations of the domain's ports: the system clock, UUID v7 ids, the OS random
//! source, argon2id password hashing on a bounded pool, AES-256-GCM sealing, and the opaque tokens
//! (API keys, sessions) handed to clients and stored only as SHA-256 digests.

mod hasher;
mod sealer;
mod system;
mod token;
mod totp;

pub use hasher::{Argon2Hasher, Argon2Params};
pub use sealer::AesGcmSealer;
pub use system::random_bytes;
pub use system::{OsRandom, SystemClock, UuidV7Ids};
pub use token::{
    sha256_hex, ApiKeyToken, DeviceToken, ParsedApiKey, ParsedDeviceToken, ParsedSessionToken,
    ParsedUserToken, SessionToken, UserToken, UserTokenKind,
};
pub use totp::{enrolment, qr_png_base64, RfcTotp, TotpEnrolment};
