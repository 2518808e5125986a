//! FileZilla's `sitemanager.xml`: `import` on any text, and
//! `parse_remote_dir` on it too. What an import accepts must survive
//! Ferry's own export: exporting the imported sites and importing that
//! again gives the same number of sites, every one imported.

#![no_main]

use ferry::sites::filezilla::{ImportOutcome, export, import, parse_remote_dir};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_remote_dir(&text);
    let Ok(first) = import(&text) else {
        return;
    };
    assert!(first.sites.len() <= first.report.len());
    let sites: Vec<_> = first.sites.iter().map(|s| s.site.clone()).collect();
    let xml = export(&sites, &|site| {
        first
            .sites
            .iter()
            .find(|s| s.site.id == site.id)
            .and_then(|s| s.password.clone())
    });
    let again = import(&xml).unwrap_or_else(|e| panic!("export of {text:?} does not import: {e}"));
    assert_eq!(again.sites.len(), sites.len(), "{xml}");
    for line in &again.report {
        assert!(
            !matches!(line.outcome, ImportOutcome::Skipped(_)),
            "{line:?} in {xml}"
        );
    }
});
