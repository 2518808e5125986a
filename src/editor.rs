//! How a file is handed to the user's editor, shared by `ferry edit` and
//! the window's Edit: a command line in which `{path}` stands for the
//! file (added at the end without it), run through the shell so an
//! editor with arguments (`code --wait`) works, as git runs `$EDITOR`.

use std::path::Path;
use std::process::Command;

#[cfg(unix)]
pub fn editor_command(editor: &str, path: &Path) -> Command {
    let line = match editor.contains("{path}") {
        true => editor.replace("{path}", "\"$1\""),
        false => format!("{editor} \"$1\""),
    };
    let mut command = Command::new("sh");
    command.arg("-c").arg(line).arg("ferry-edit").arg(path);
    command
}

#[cfg(not(unix))]
pub fn editor_command(editor: &str, path: &Path) -> Command {
    let mut words = editor.split_whitespace().filter(|w| *w != "{path}");
    let mut command = Command::new(words.next().unwrap_or("notepad"));
    command.args(words).arg(path);
    command
}
