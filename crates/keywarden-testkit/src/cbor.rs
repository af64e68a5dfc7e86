//! A minimal CBOR writer for the few shapes an authenticator emits (maps, arrays, integers, byte and text strings).
//!
//! Writing by hand keeps the output in CTAP2 canonical key order and costs next to nothing per registration;
//! decoding (only needed to tamper with responses) uses `serde_cbor_2` instead.

/// Writes a CBOR head: the major type and its argument, in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    match n {
        0..=23 => out.push(major | n as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, n as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

pub(crate) fn int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        head(out, 0, n.unsigned_abs());
    } else {
        // CBOR negative integers encode -1 - n.
        head(out, 1, (-1 - n).unsigned_abs());
    }
}

pub(crate) fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

pub(crate) fn text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn array(out: &mut Vec<u8>, len: usize) {
    head(out, 4, len as u64);
}

pub(crate) fn map(out: &mut Vec<u8>, len: usize) {
    head(out, 5, len as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(write: impl FnOnce(&mut Vec<u8>), expected: &[u8]) {
        let mut out = Vec::new();
        write(&mut out);
        assert_eq!(out, expected);
        let decoded: Result<serde_cbor_2::Value, _> = serde_cbor_2::from_slice(&out);
        assert!(decoded.is_ok(), "serde_cbor_2 reads back {out:02x?}");
    }

    #[test]
    fn integers_use_the_shortest_head() {
        check(|o| int(o, 0), &[0x00]);
        check(|o| int(o, 23), &[0x17]);
        check(|o| int(o, 24), &[0x18, 24]);
        check(|o| int(o, 1000), &[0x19, 0x03, 0xe8]);
        check(|o| int(o, 100_000), &[0x1a, 0x00, 0x01, 0x86, 0xa0]);
        check(|o| int(o, -1), &[0x20]);
        check(|o| int(o, -7), &[0x26]);
        check(|o| int(o, -257), &[0x39, 0x01, 0x00]);
        check(
            |o| int(o, i64::MIN),
            &[0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        );
    }

    #[test]
    fn strings_carry_their_length() {
        check(|o| text(o, "fmt"), b"\x63fmt");
        check(|o| bytes(o, &[1, 2]), &[0x42, 1, 2]);
        check(|o| bytes(o, &[0; 32]), &[[0x58, 32].as_slice(), &[0; 32]].concat());
        check(
            |o| {
                map(o, 1);
                text(o, "x5c");
                array(o, 0);
            },
            b"\xa1\x63x5c\x80",
        );
    }
}
