//! Bad input never panics: every text reader gets mutated and cut copies of valid files.

#[path = "text/common.rs"]
mod common;

use common::count_all;
use otadiag_capture::{asc, candump, detect, trc, FrameReader};

const SAMPLES: [&str; 5] = [
    "(1436509052.249713) vcan0 123#DEADBEEF\n(1436509052.249714) can1 12345678##3AABB T\n(2015-07-10 08:17:32.249713)  vcan0  7FF   [1]  FF\n",
    "  can0  TX - -  18DA30F1   [8]  02 10 03 00 00 00 00 00   '........'\n  vcan0  123   [4]  remote request\n  can0  RX B -  123  [12]  00 01 02 03 04 05 06 07 08 09 0A 0B\n",
    ";$FILEVERSION=1.1\n;$STARTTIME=45617.6579229051\n     1)      1841.3  Rx         0300  8  00 11 22 33 44 55 66 77 \n     2)      1850.0  Rx         0123  4  RTR\n",
    ";$FILEVERSION=2.1\n;$COLUMNS=N,O,T,B,I,d,R,L,D\n     1         1.000 FB 2  18DAF110 Rx -  9    00 01 02 03 04 05 06 07 08 09 0A 0B\n     6         6.000 ER 1      -    Rx -  5    04 00 02 00 00\n",
    "date Wed Jun 13 10:34:25.123 pm 2018\r\nbase hex  timestamps relative\r\n   0.012345 1  7E0             Rx   d 8 02 10 03 00 00 00 00 00  Length = 230000\r\n   0.05 CANFD   1 Rx  7E0  Name  1 0 9 12 00 01 02 03 04 05 06 07 08 09 0A 0B 130000 130 303000\r\n",
];

fn all_readers(bytes: &[u8]) {
    let readers: [Box<dyn FrameReader + '_>; 3] = [
        Box::new(candump::Reader::new("x", bytes)),
        Box::new(trc::Reader::new("x", bytes)),
        Box::new(asc::Reader::new("x", bytes)),
    ];
    for mut r in readers {
        count_all(r.as_mut());
        assert_eq!(r.bytes_read(), bytes.len() as u64);
    }
    if let Ok(mut r) =
        detect::from_reader("x".into(), Box::new(std::io::Cursor::new(bytes.to_vec())))
    {
        count_all(r.as_mut());
    }
    candump::sniff(bytes);
    trc::sniff(bytes);
    asc::sniff(bytes);
}

#[test]
fn cut_and_mutated_inputs_do_not_panic() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    const ALPHABET: &[u8] = b"0123456789ABCDEFx#()[]. -_:;=R\r\n\t'\xff9";
    for sample in SAMPLES {
        let bytes = sample.as_bytes();
        for cut in 0..bytes.len() {
            all_readers(&bytes[..cut]);
        }
        for _ in 0..3000 {
            let mut m = bytes.to_vec();
            for _ in 0..1 + rand() % 4 {
                let i = (rand() % m.len() as u64) as usize;
                match rand() % 3 {
                    0 => m[i] = ALPHABET[(rand() % ALPHABET.len() as u64) as usize],
                    1 => {
                        m.remove(i);
                    }
                    _ => m.insert(i, ALPHABET[(rand() % ALPHABET.len() as u64) as usize]),
                }
            }
            all_readers(&m);
        }
    }
    // Numbers at the edges of i64 and of the calendar.
    all_readers(
        b"(999999999999.999999999) vcan0 123#00\n(9999-12-31 23:59:59.999999) vcan0 123#00\n",
    );
    all_readers(b";$STARTTIME=9999999.99999999999999999\n     1)  999999999999.9  Rx  0300  0\n");
    all_readers(b"date Fri Dec 31 11:59:59.999 pm 9999\nbase hex  timestamps relative\n 999999999999.9 1 1 Rx d 0\n 999999999999.9 1 1 Rx d 0\n");
}
