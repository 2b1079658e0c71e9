//! The `blobs` table: images the events name by SHA-256 (an account's logo). A blob is written
//! before the event that names it and never changed or deleted, so every event's image can be
//! found for as long as the event exists.

use sqlx::PgPool;

/// The rows of `blobs`.
#[derive(Clone)]
pub struct Blobs {
    pool: PgPool,
}

/// One stored image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Blobs {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Keeps `bytes` under `sha256` (lowercase hex of their digest); a blob already there is
    /// left as it is (the same digest is the same bytes).
    pub async fn put(
        &self,
        sha256: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO blobs (sha256, media_type, bytes) VALUES ($1, $2, $3)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(media_type)
        .bind(bytes)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The blob under `sha256`, if any.
    pub async fn get(&self, sha256: &str) -> Result<Option<Blob>, sqlx::Error> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT media_type, bytes FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(media_type, bytes)| Blob { media_type, bytes }))
    }
}
