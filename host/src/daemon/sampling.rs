//! Deterministic sampling: whether a scheduled sweep observes a session with a scanner.
//!
//! The rule follows the hosted original, `hash(concat(session_id, scanner_id)) % 10000 <
//! round(rate * 10000)`, with a different hash: the first 8 bytes of the SHA-256 digest of the
//! UTF-8 bytes of `session_id` followed directly by `scanner_id`, read as a big-endian `u64`.
//! The same pair always gets the same decision, on every daemon and after every restart, and a
//! higher rate keeps every session that a lower rate keeps.

use sha2::{Digest, Sha256};

/// Returns the pair's bucket in `0..10000`.
pub fn bucket(session_id: &str, scanner_id: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(session_id.as_bytes());
    hasher.update(scanner_id.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 10_000
}

/// Returns whether a scanner with sampling rate `rate` (0 to 1) observes the session.
pub fn keeps(session_id: &str, scanner_id: &str, rate: f64) -> bool {
    let threshold = (rate.clamp(0.0, 1.0) * 10_000.0).round() as u64;
    bucket(session_id, scanner_id) < threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_is_stable() {
        // SHA-256("s1scanner") begins 0x985b877d..., so any change to the hash input or the
        // byte order moves this pair to another bucket.
        let expected = 0x985b_877d_u64;
        let digest = Sha256::digest(b"s1scanner");
        assert_eq!(
            u64::from_be_bytes(digest[..8].try_into().unwrap()) >> 32,
            expected
        );
        let full = u64::from_be_bytes(digest[..8].try_into().unwrap());
        assert_eq!(bucket("s1", "scanner"), full % 10_000);
    }

    #[test]
    fn full_rate_keeps_all() {
        assert!((0..200).all(|i| keeps(&format!("s{i}"), "x", 1.0)));
    }

    #[test]
    fn zero_rate_keeps_none() {
        assert!(!(0..200).any(|i| keeps(&format!("s{i}"), "x", 0.0)));
    }

    #[test]
    fn half_rate_keeps_about_half() {
        let kept = (0..2000)
            .filter(|i| keeps(&format!("s{i}"), "x", 0.5))
            .count();
        assert!((900..1100).contains(&kept), "{kept}");
    }

    #[test]
    fn higher_rate_is_superset() {
        for i in 0..500 {
            let session = format!("s{i}");
            if keeps(&session, "x", 0.2) {
                assert!(keeps(&session, "x", 0.6), "{session}");
            }
        }
    }
}
