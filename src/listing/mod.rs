//! TEMPORARY STUB (replaced by the real parser module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink { target: Option<String> },
    Other,
    Unknown,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub name: String,
    pub kind: EntryKind,
    pub size: Option<u64>,
    pub modified: Option<chrono::NaiveDateTime>,
    pub permissions: Option<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: String,
    pub reason: String,
}
impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}", self.reason, self.line)
    }
}
pub enum ListingFormat {
    Mlsd,
    List,
    Nlst,
}
pub fn parse_nlst_line(line: &str) -> Option<RemoteEntry> {
    Some(RemoteEntry {
        name: line.to_string(),
        kind: EntryKind::Unknown,
        size: None,
        modified: None,
        permissions: None,
        owner: None,
        group: None,
    })
}
pub fn parse_listing(
    _f: ListingFormat,
    lines: &[String],
    _now: chrono::NaiveDateTime,
) -> (Vec<RemoteEntry>, Vec<ParseError>) {
    (
        lines.iter().filter_map(|l| parse_nlst_line(l)).collect(),
        vec![],
    )
}
