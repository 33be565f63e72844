//! The dashboard in a real browser: Debian's headless Chromium loads `/` from a live server that
//! holds several shipped rule-case uploads, and we check the rendered DOM (the fleet table and the
//! vehicle page's findings and sequence diagram) and a screenshot's pixels (page not blank, the
//! failing exchange drawn in the dashboard's red where the diagram is).
//!
//! Skips with a message when no Chromium is installed, unless `OTADIAG_REQUIRE_BROWSER=1`.

mod common;

use common::{case, vin_of, Backend, Harness};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Cases uploaded: (case, unit, cause) of their root finding (`None` for a healthy update).
const CASES: &[(&str, Option<(&str, &str)>)] = &[
    (
        "flash_multi_ecu_one_fails",
        Some(("VCU", "negative_response")),
    ),
    ("flash_response_timeout", Some(("BCM", "response_timeout"))),
    (
        "deploy_response_timeout",
        Some(("bcm-app", "response_timeout")),
    ),
    ("healthy_update", None),
];

/// The vehicle whose page is checked (its upload is the first case).
const VEHICLE_CASE: &str = "flash_multi_ecu_one_fails";

/// Colours from `static/app.css`: `--bad` (the focused exchange, the cause, the measured value),
/// `--accent` (top bar link and buttons), `--bg` (page background).
const BAD: [u8; 3] = [0xc4, 0x32, 0x0a];
const ACCENT: [u8; 3] = [0x24, 0x57, 0xc5];
const BG: [u8; 3] = [0xf7, 0xf8, 0xfa];

fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var("OTADIAG_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("OTADIAG_REQUIRE_BROWSER=1 but no /usr/bin/chromium: apt-get install chromium");
        }
        eprintln!("skipping the browser test: /usr/bin/chromium is not installed");
    }
    found
}

/// Runs headless Chromium with `args` then `url`; returns stdout (the DOM for `--dump-dom`).
async fn run_chromium(bin: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .arg(url);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_renders_in_headless_chromium() {
    let Some(bin) = chromium() else { return };
    let h = Harness::start(&Backend::Sqlite, |o| o.watch = false).await;
    for (name, _) in CASES {
        let bundle = case(name);
        let token = h.register(&vin_of(&bundle)).await;
        let (status, v) = h.upload(Some(&token), bundle).await;
        assert_eq!(status, 201, "{name}: {v}");
    }
    let profile = std::env::temp_dir().join(format!("otadiag-chromium-{}", std::process::id()));
    let vin = vin_of(&case(VEHICLE_CASE));

    // Fleet view: one cause row per failing case, with its cause and ECU.
    let dom = run_chromium(&bin, &profile, &["--dump-dom".into()], &h.url("/#/")).await;
    assert!(
        dom.contains(r#"data-view="fleet""#),
        "fleet view not finished:\n{dom}"
    );
    assert!(dom.contains(r#"<table id="fleet-causes">"#), "{dom}");
    for (name, root) in CASES {
        let Some((ecu, cause)) = root else { continue };
        let row = format!(r#"data-cause="{cause}" data-ecu="{ecu}""#);
        assert!(dom.contains(&row), "{name}: no row with {row} in\n{dom}");
    }
    let rows = dom.matches(r#"class="cause-row""#).count();
    assert_eq!(rows, 3, "one cause row per failing upload");
    assert!(dom.contains(r#"class="trend-bar""#), "no trend bars");
    assert!(dom.contains("3 root findings"), "total line");

    // Vehicle view: the finding with measured value and limit, and the sequence diagram with the
    // failing exchange in focus.
    let url = h.url(&format!("/#/vehicle/{vin}"));
    let dom = run_chromium(&bin, &profile, &["--dump-dom".into()], &url).await;
    assert!(
        dom.contains(r#"data-view="vehicle""#),
        "vehicle view not finished:\n{dom}"
    );
    assert!(dom.contains(&format!(r#"data-vin="{vin}""#)), "{dom}");
    let at = dom
        .find(r#"data-cause="negative_response""#)
        .expect("a negative_response finding");
    let finding = &dom[dom[..at].rfind("<div").unwrap()..];
    assert!(
        finding.starts_with(r#"<div class="finding root" id="finding-"#),
        "{finding}"
    );
    assert!(finding.contains(r#"class="measured""#) && finding.contains(r#"class="limit""#));
    assert!(finding.contains("NRC 0x72"), "{finding}");
    assert!(
        dom.contains(r#"<svg class="sequence""#),
        "no sequence diagram"
    );
    let focus = dom.matches(r#"class="msg focus""#).count();
    assert!(focus >= 1, "no focused message in the diagram");
    assert!(dom.contains(r#"class="msg focus" data-index=""#));
    assert!(dom.contains(r#"data-dir="rsp""#) && dom.contains(r#"data-dir="req""#));

    // Screenshot of the vehicle page.
    let png_path = profile.join("vehicle.png");
    let args = [
        format!("--screenshot={}", png_path.display()),
        "--window-size=1280,900".into(),
    ];
    run_chromium(&bin, &profile, &args, &url).await;
    if let Ok(keep) = std::env::var("OTADIAG_SCREENSHOT_TO") {
        std::fs::copy(&png_path, keep).expect("copy the screenshot");
    }
    check_screenshot(&Shot::read(&png_path));

    let _ = std::fs::remove_dir_all(&profile);
    h.stop().await;
}

/// A decoded RGB(A) screenshot.
struct Shot {
    width: usize,
    height: usize,
    channels: usize,
    data: Vec<u8>,
}

impl Shot {
    fn read(path: &Path) -> Shot {
        let file = std::fs::File::open(path).expect("screenshot written");
        let mut dec = png::Decoder::new(std::io::BufReader::new(file));
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec.read_info().expect("png header");
        let mut data = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut data).expect("png frame");
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected screenshot colour type {other:?}"),
        };
        data.truncate(info.buffer_size());
        Shot {
            width: info.width as usize,
            height: info.height as usize,
            channels,
            data,
        }
    }

    fn px(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * self.channels;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Pixels within `tol` per channel of `c` in rows `ys`.
    fn count(&self, c: [u8; 3], ys: std::ops::Range<usize>) -> usize {
        ys.flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| near(self.px(x, y), c, 6))
            .count()
    }

    /// Rows holding a horizontal run of at least `len` pixels of colour `c`.
    fn rows_with_run(&self, c: [u8; 3], len: usize) -> Vec<usize> {
        (0..self.height)
            .filter(|&y| {
                let mut run = 0;
                (0..self.width).any(|x| {
                    run = if near(self.px(x, y), c, 6) {
                        run + 1
                    } else {
                        0
                    };
                    run >= len
                })
            })
            .collect()
    }
}

fn near(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= tol)
}

fn check_screenshot(s: &Shot) {
    assert_eq!((s.width, s.height), (1280, 900), "window size");
    let all = s.width * s.height;
    // Not blank: the page background, white cards and dark text are all there.
    let bg = s.count(BG, 0..s.height);
    let white = s.count([255, 255, 255], 0..s.height);
    assert!(bg > all / 20, "page background only {bg} px");
    assert!(white > all / 10, "white cards only {white} px");
    let dark = (0..s.height)
        .flat_map(|y| (0..s.width).map(move |x| (x, y)))
        .filter(|&(x, y)| s.px(x, y).iter().all(|&v| v < 90))
        .count();
    assert!(dark > 500, "hardly any text: {dark} dark px");
    // The top bar: accent-coloured buttons in the first 60 rows.
    let accent = s.count(ACCENT, 0..60);
    assert!(accent > 500, "top bar buttons missing: {accent} accent px");
    // The failing exchange: long horizontal red strokes (an arrow between two lifelines is
    // ~260 px wide) below the header, inside the diagram's 760 px column.
    let rows = s.rows_with_run(BAD, 150);
    assert!(!rows.is_empty(), "no focused exchange drawn in {BAD:?}");
    assert!(
        rows.iter().all(|&y| y > 150),
        "red strokes in the header: {rows:?}"
    );
    let red = s.count(BAD, 150..s.height);
    assert!(red > 600, "too little of the highlight colour: {red} px");
    let gray_lines = s.rows_with_run([0x98, 0xa2, 0xb3], 150).len();
    assert!(gray_lines >= 1, "the other exchanges are not drawn");
    eprintln!(
        "screenshot: {bg} background, {white} white, {dark} dark, {accent} accent px; \
         {red} highlight px, highlight strokes in rows {rows:?}; {gray_lines} gray stroke rows"
    );
}
