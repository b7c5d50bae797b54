//! Arbitrary bytes as one Nix file: parsing, every file rule, suppressions and the fix loop.
//! Oracles: no panic or overflow; the nesting estimate bounds the tree; fixes keep it parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nixpilot_lint::engine::{self, Scope};
use nixpilot_lint::fix::{fix_until_stable, FixMode};
use nixpilot_lint::{nesting, parse, Config, SourceFile};

fuzz_target!(|data: &[u8]| {
    let file = SourceFile::from_bytes("fuzz.nix", data.to_vec());
    // The stack guard is only sound if the estimate bounds the depth of what rnix builds.
    if let Ok(estimate) = nesting::scan(&file.text, u32::MAX) {
        let parsed = parse::parse(&file.text);
        if parsed.refused.is_none() {
            assert!(
                parse::deeper_than(&parsed.green, 2 * estimate + 16).is_none(),
                "tree deeper than twice the estimate {estimate}"
            );
        }
    }
    let config = Config::default();
    let files = vec![file];
    let result = engine::lint(&files, None, &Scope::whole(), &config, &|| {});
    let parses = !result
        .diagnostics
        .iter()
        .any(|d| d.rule == "syntax-error" || d.rule == "analysis-limit");
    for mode in [FixMode::SafeOnly, FixMode::SafeAndUnsafe] {
        let mut fixed = files.clone();
        let outcome = fix_until_stable(&mut fixed, None, &Scope::whole(), &config, mode, &|| {});
        if parses {
            let broken: Vec<_> = outcome
                .result
                .diagnostics
                .iter()
                .filter(|d| d.rule == "syntax-error")
                .map(|d| d.message.clone())
                .collect();
            assert!(
                broken.is_empty(),
                "{mode:?} fixes broke the file: {broken:?}\n{}",
                fixed[0].text
            );
        }
    }
});
