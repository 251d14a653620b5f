//! Check-digit validators behind a small trait, so that rules stay data: a
//! pattern finds candidates, a named validator confirms them.

/// Confirms a candidate found by a pattern rule (`validator = "<name>"`).
pub trait Validator: Send + Sync {
    fn name(&self) -> &'static str;
    /// `candidate` is the matched text (or capture group); separators allowed.
    fn is_valid(&self, candidate: &str) -> bool;
}

macro_rules! validator {
    ($ty:ident, $name:literal, $f:ident) => {
        struct $ty;
        impl Validator for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn is_valid(&self, candidate: &str) -> bool {
                $f(candidate)
            }
        }
    };
}

validator!(Iban, "iban", iban);
validator!(PlNrb, "pl_nrb", pl_nrb);
validator!(Luhn, "luhn", luhn_card);
validator!(Bsn, "nl_bsn", nl_bsn);
validator!(DeRv, "de_rvnr", de_rvnr);
validator!(DeKv, "de_kvnr", de_kvnr);
validator!(AtSv, "at_svnr", at_svnr);
validator!(FrNir, "fr_nir", fr_nir);
validator!(PlPesel, "pl_pesel", pl_pesel);
validator!(ItCf, "it_cf", it_cf);
validator!(Phone, "phone", phone);

static ALL: [&dyn Validator; 11] =
    [&Iban, &PlNrb, &Luhn, &Bsn, &DeRv, &DeKv, &AtSv, &FrNir, &PlPesel, &ItCf, &Phone];

/// Looks a validator up by the name used in rule packs.
pub fn validator_by_name(name: &str) -> Option<&'static dyn Validator> {
    ALL.iter().copied().find(|v| v.name() == name)
}

/// Upper-cased alphanumerics only.
fn compact(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_uppercase()).collect()
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect()
}

/// ISO 13616 lengths per country (SEPA area and common others).
fn iban_length(cc: &[u8]) -> Option<usize> {
    const T: &[(&[u8; 2], usize)] = &[
        (b"AD", 24),
        (b"AE", 23),
        (b"AL", 28),
        (b"AT", 20),
        (b"AZ", 28),
        (b"BA", 20),
        (b"BE", 16),
        (b"BG", 22),
        (b"BH", 22),
        (b"BR", 29),
        (b"CH", 21),
        (b"CR", 22),
        (b"CY", 28),
        (b"CZ", 24),
        (b"DE", 22),
        (b"DK", 18),
        (b"DO", 28),
        (b"EE", 20),
        (b"EG", 29),
        (b"ES", 24),
        (b"FI", 18),
        (b"FO", 18),
        (b"FR", 27),
        (b"GB", 22),
        (b"GE", 22),
        (b"GI", 23),
        (b"GL", 18),
        (b"GR", 27),
        (b"GT", 28),
        (b"HR", 21),
        (b"HU", 28),
        (b"IE", 22),
        (b"IL", 23),
        (b"IS", 26),
        (b"IT", 27),
        (b"JO", 30),
        (b"KW", 30),
        (b"KZ", 20),
        (b"LB", 28),
        (b"LI", 21),
        (b"LT", 20),
        (b"LU", 20),
        (b"LV", 21),
        (b"MC", 27),
        (b"MD", 24),
        (b"ME", 22),
        (b"MK", 19),
        (b"MR", 27),
        (b"MT", 31),
        (b"MU", 30),
        (b"NL", 18),
        (b"NO", 15),
        (b"PK", 24),
        (b"PL", 28),
        (b"PS", 29),
        (b"PT", 25),
        (b"QA", 29),
        (b"RO", 24),
        (b"RS", 22),
        (b"SA", 24),
        (b"SC", 31),
        (b"SE", 24),
        (b"SI", 19),
        (b"SK", 24),
        (b"SM", 27),
        (b"TN", 24),
        (b"TR", 26),
        (b"UA", 29),
        (b"VA", 22),
        (b"VG", 24),
        (b"XK", 20),
    ];
    T.iter().find(|(c, _)| c[..] == *cc).map(|&(_, l)| l)
}

/// IBAN: country length and mod-97 == 1 over the rearranged number.
/// Polish account number (NRB) as written at home: the IBAN without "PL".
pub fn pl_nrb(s: &str) -> bool {
    let c = compact(s);
    c.len() == 26 && c.iter().all(u8::is_ascii_digit) && iban(&format!("PL{}", String::from_utf8_lossy(&c)))
}

pub fn iban(s: &str) -> bool {
    let c = compact(s);
    if c.len() < 15 || !c[0].is_ascii_alphabetic() || !c[1].is_ascii_alphabetic() {
        return false;
    }
    if !c[2].is_ascii_digit() || !c[3].is_ascii_digit() || iban_length(&c[..2]) != Some(c.len()) {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in c[4..].iter().chain(&c[..4]) {
        let v = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

fn luhn_ok(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 {
                    y - 9
                } else {
                    y
                }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Payment card: 13-19 digits, a card-issuer first digit, Luhn, not one repeated digit.
pub fn luhn_card(s: &str) -> bool {
    let d = digits(s);
    (13..=19).contains(&d.len()) && (2..=6).contains(&d[0]) && d.iter().any(|&x| x != d[0]) && luhn_ok(&d)
}

/// Dutch BSN: 9 digits, "11-proef" with weight -1 on the last digit.
pub fn nl_bsn(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 9 || d.iter().all(|&x| x == 0) {
        return false;
    }
    let mut sum: i32 = 0;
    for (i, &x) in d.iter().enumerate() {
        let w = if i == 8 { -1 } else { 9 - i as i32 };
        sum += w * i32::from(x);
    }
    sum % 11 == 0
}

fn valid_ddmm(dd: u8, mm: u8) -> bool {
    (1..=31).contains(&dd) && (1..=12).contains(&mm)
}

/// German pension insurance number: area(2) DDMMYY(6) letter serial(2) check(1).
pub fn de_rvnr(s: &str) -> bool {
    let c = compact(s);
    if c.len() != 12 || !c[8].is_ascii_alphabetic() {
        return false;
    }
    if !c.iter().enumerate().all(|(i, b)| i == 8 || b.is_ascii_digit()) {
        return false;
    }
    let n = |i: usize| c[i] - b'0';
    if !valid_ddmm(n(2) * 10 + n(3), n(4) * 10 + n(5)) {
        return false;
    }
    let letter = c[8] - b'A' + 1;
    let mut seq: Vec<u8> = (0..8).map(n).collect();
    seq.push(letter / 10);
    seq.push(letter % 10);
    seq.push(n(9));
    seq.push(n(10));
    const W: [u32; 12] = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
    let sum: u32 = seq
        .iter()
        .zip(W)
        .map(|(&x, w)| {
            let p = u32::from(x) * w;
            p / 10 + p % 10
        })
        .sum();
    sum % 10 == u32::from(n(11))
}

/// German health insurance number (KVNR): letter, 8 digits, check digit.
pub fn de_kvnr(s: &str) -> bool {
    let c = compact(s);
    if c.len() != 10 || !c[0].is_ascii_alphabetic() || !c[1..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let letter = c[0] - b'A' + 1;
    let mut seq = vec![letter / 10, letter % 10];
    seq.extend(c[1..9].iter().map(|b| b - b'0'));
    let sum: u32 = seq
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let p = u32::from(x) * if i % 2 == 0 { 1 } else { 2 };
            p / 10 + p % 10
        })
        .sum();
    sum % 10 == u32::from(c[9] - b'0')
}

/// Austrian social-security number: serial(3) check(1) DDMMYY(6).
pub fn at_svnr(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 10 || d[0] == 0 {
        return false;
    }
    if !valid_ddmm(d[4] * 10 + d[5], d[6] * 10 + d[7]) {
        return false;
    }
    const W: [u32; 10] = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6];
    let sum: u32 = d.iter().zip(W).map(|(&x, w)| u32::from(x) * w).sum();
    let check = sum % 11;
    check != 10 && check == u32::from(d[3])
}

/// French NIR: 13 characters (2A/2B for Corsica) plus a 2-digit key.
pub fn fr_nir(s: &str) -> bool {
    let c = compact(s);
    if c.len() != 15 || !matches!(c[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let mut body = String::from_utf8_lossy(&c[..13]).into_owned();
    let mut corsica = 0u64;
    if &c[5..7] == b"2A" {
        body.replace_range(5..7, "19");
        corsica = 1_000_000;
    } else if &c[5..7] == b"2B" {
        body.replace_range(5..7, "18");
        corsica = 2_000_000;
    }
    let (Ok(n), Ok(key)) = (body.parse::<u64>(), String::from_utf8_lossy(&c[13..]).parse::<u64>()) else {
        return false;
    };
    let month = (c[3] - b'0') * 10 + (c[4].wrapping_sub(b'0'));
    if !(1..=12).contains(&month) && !(20..=42).contains(&month) && month < 50 {
        return false;
    }
    let _ = corsica; // the substitution above already encodes the Corsican offset
    97 - (n % 97) == key
}

/// Polish PESEL: YYMMDD with century-coded month, serial, weighted check.
pub fn pl_pesel(s: &str) -> bool {
    let d = digits(s);
    if d.len() != 11 {
        return false;
    }
    let mm = d[2] * 10 + d[3];
    let dd = d[4] * 10 + d[5];
    if !valid_ddmm(dd, mm % 20) {
        return false;
    }
    const W: [u32; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = d.iter().zip(W).map(|(&x, w)| u32::from(x) * w).sum();
    (10 - sum % 10) % 10 == u32::from(d[10])
}

/// Italian codice fiscale: 16 characters, check letter from odd/even tables.
pub fn it_cf(s: &str) -> bool {
    let c = compact(s);
    if c.len() != 16 {
        return false;
    }
    // positions that are digits, or omocodia letters standing in for digits
    let digitish = |b: u8| b.is_ascii_digit() || b"LMNPQRSTUV".contains(&b);
    let shape = c[..6].iter().all(u8::is_ascii_alphabetic)
        && digitish(c[6])
        && digitish(c[7])
        && b"ABCDEHLMPRST".contains(&c[8])
        && digitish(c[9])
        && digitish(c[10])
        && c[11].is_ascii_alphabetic()
        && c[12..15].iter().all(|&b| digitish(b))
        && c[15].is_ascii_alphabetic();
    if !shape {
        return false;
    }
    const ODD: [u32; 26] =
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
    let mut sum = 0u32;
    for (i, &b) in c[..15].iter().enumerate() {
        let v = if b.is_ascii_digit() { usize::from(b - b'0') } else { usize::from(b - b'A') };
        sum += if i % 2 == 0 { ODD[v] } else { v as u32 };
    }
    u32::from(c[15] - b'A') == sum % 26
}

/// Phone numbers: 8-15 digits in total, not one repeated digit.
pub fn phone(s: &str) -> bool {
    // "01-05-2024" is a date, not a number to call
    let parts: Vec<&str> = s.trim().split(['-', '.', '/']).collect();
    if let [day, month, year] = parts[..] {
        let num = |p: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        if num(day, 1..=2) && num(month, 1..=2) && (year.len() == 2 || year.len() == 4) && num(year, 2..=4) {
            return false;
        }
    }
    let d = digits(s);
    (8..=15).contains(&d.len()) && d.iter().any(|&x| x != d[d.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_checks() {
        assert!(iban("DE89 3704 0044 0532 0130 00"));
        assert!(iban("NL91ABNA0417164300"));
        assert!(iban("GB82 WEST 1234 5698 7654 32"));
        assert!(!iban("DE89 3704 0044 0532 0130 01"));
        assert!(!iban("DE89 3704 0044 0532 0130")); // wrong length
    }

    #[test]
    fn dates_are_no_phone_numbers() {
        assert!(!phone("01-05-2024"));
        assert!(!phone("1.5.24"));
        assert!(phone("0171 4839201"));
        assert!(phone("030-1234-5678"));
    }

    #[test]
    fn polish_account_numbers_without_country_code() {
        assert!(pl_nrb("61 1090 1014 0000 0712 1981 2874"));
        assert!(!pl_nrb("61 1090 1014 0000 0712 1981 2875"));
        assert!(!pl_nrb("61 1090 1014 0000 0712 1981 287")); // 25 digits
        assert!(!pl_nrb("PL61 1090 1014 0000 0712 1981 2874")); // that is an IBAN
    }

    #[test]
    fn card_checks() {
        assert!(luhn_card("4111 1111 1111 1111"));
        assert!(luhn_card("5500-0000-0000-0004"));
        assert!(!luhn_card("4111 1111 1111 1112"));
        assert!(!luhn_card("0000 0000 0000 0000"));
    }

    #[test]
    fn national_numbers() {
        assert!(nl_bsn("111222333"));
        assert!(!nl_bsn("111222334"));
        assert!(pl_pesel("44051401359"));
        assert!(!pl_pesel("44051401358"));
        assert!(it_cf("RSSMRA85T10A562S"));
        assert!(!it_cf("RSSMRA85T10A562T"));
        assert!(at_svnr("1237 010180"));
        assert!(!at_svnr("1238 010180"));
        assert!(fr_nir("2 55 08 14 168 025 38"));
        assert!(!fr_nir("2 55 08 14 168 025 39"));
        assert!(de_kvnr("A123456780"));
        assert!(!de_kvnr("A123456781"));
        assert!(de_rvnr("65 170839 J 00 3"));
        assert!(!de_rvnr("65 170839 J 00 4"));
    }
}
