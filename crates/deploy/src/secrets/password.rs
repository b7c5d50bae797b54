//! Random passwords for `nixpilot secrets set --generate N` (what `pwgen -s` was used for):
//! characters drawn uniformly from the OS RNG over an alphabet without look-alikes.

use zeroize::Zeroizing;

/// Letters and digits without the ones that are easy to confuse when read
/// aloud or copied by hand: `0 O o`, `1 I l`. 56 symbols, log2(56) ≈ 5.8 bits each
/// (23 characters carry more than 128 bits).
pub const ALPHABET: &[u8; 56] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// The longest password `generate` makes.
pub const MAX_LEN: usize = 4096;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("a generated password must have between 1 and {MAX_LEN} characters (got {0})")]
    Length(usize),
    #[error("the system random number generator failed")]
    Random,
}

/// An `len`-character password; every character is chosen independently and
/// uniformly (rejection sampling, so no symbol is more likely than another).
pub fn generate(len: usize) -> Result<Zeroizing<String>, PasswordError> {
    if len == 0 || len > MAX_LEN {
        return Err(PasswordError::Length(len));
    }
    // The largest multiple of 56 below 256: bytes at or above it are redrawn.
    const LIMIT: u8 = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < len {
        getrandom::fill(&mut buf[..]).map_err(|_| PasswordError::Random)?;
        for &b in buf.iter() {
            if out.len() == len {
                break;
            }
            if b < LIMIT {
                out.push(ALPHABET[(b as usize) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_no_look_alikes_or_repeats() {
        for c in b"0Oo1Il" {
            assert!(!ALPHABET.contains(c), "{}", *c as char);
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALPHABET.len());
        assert!(ALPHABET.iter().all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn lengths_and_characters() {
        for len in [1, 2, 22, 63, 64, 65, 1000, MAX_LEN] {
            let p = generate(len).expect("generates");
            assert_eq!(p.len(), len);
            assert!(p.bytes().all(|b| ALPHABET.contains(&b)));
        }
        assert_eq!(generate(0), Err(PasswordError::Length(0)));
        assert_eq!(generate(MAX_LEN + 1), Err(PasswordError::Length(MAX_LEN + 1)));
    }

    #[test]
    fn draws_are_uniform() {
        // ~400 000 draws, about 7 140 per symbol (standard deviation ~84). A plain
        // `byte % 56` would draw 32 symbols 9% too often and 24 symbols 12% too
        // rarely; a ±6% band (5 standard deviations) catches that.
        let mut counts = [0usize; 56];
        for _ in 0..98 {
            for b in generate(MAX_LEN).expect("generates").bytes() {
                let i = ALPHABET.iter().position(|&a| a == b).expect("in alphabet");
                counts[i] += 1;
            }
        }
        let expected = counts.iter().sum::<usize>() / 56;
        for (i, c) in counts.iter().enumerate() {
            assert!(
                c.abs_diff(expected) < expected * 6 / 100,
                "symbol {} drawn {c} times, expected about {expected}",
                ALPHABET[i] as char
            );
        }
        assert_ne!(generate(32).expect("a"), generate(32).expect("b"));
    }
}
