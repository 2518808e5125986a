//! Sizes and counts as people write them, for both front ends.

/// 1536 gives "1.50 KiB": indicatif's binary units, the same the command
/// line's progress bars use, so both front ends write a size one way.
pub fn human_size(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

/// "1 entry", "2 entries": a count with its noun.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_noun() {
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(0, "entry", "entries"), "0 entries");
        assert_eq!(count(3, "folder", "folders"), "3 folders");
    }

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.50 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.00 GiB");
    }
}
