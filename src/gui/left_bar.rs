//! The row above the left pane: this computer, or a second server (a saved
//! site or a URL) so that files can go from one server to the other.

use egui::Ui;

use super::connect_bar::LinkState;
use crate::engine::{ConnectOptions, Secret};
use crate::sites::Site;
use crate::url::FtpUrl;

/// What the user asked of the row this frame.
pub enum LeftBarAction {
    UseComputer,
    UseServer,
    Connect(Box<ConnectOptions>, Option<String>),
    ConnectSite(Box<Site>),
    Disconnect,
    /// The URL does not parse; why.
    Invalid(String),
    /// Copies between the servers try FXP first (or not).
    SetFxp(bool),
}

#[derive(Default)]
pub struct LeftBar {
    /// `ftp://user@host:port/folder`, as typed.
    pub url: String,
    pub password: String,
    /// Copies try FXP (server to server directly) first.
    pub fxp: bool,
}

impl LeftBar {
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        is_server: bool,
        link: &LinkState,
        sites: &[Site],
    ) -> Option<LeftBarAction> {
        let mut action = None;
        // Wrapped, so the row never widens the pane past half the window.
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Left:");
            let mut server = is_server;
            egui::ComboBox::from_id_salt("left-mode")
                .selected_text(if server {
                    "Another server"
                } else {
                    "This computer"
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut server, false, "This computer");
                    ui.selectable_value(&mut server, true, "Another server");
                })
                .response
                .labelled_by(label.id);
            if server != is_server {
                action = Some(if server {
                    LeftBarAction::UseServer
                } else {
                    LeftBarAction::UseComputer
                });
            }
            if !is_server {
                return;
            }
            if matches!(link, LinkState::Connected { .. } | LinkState::Connecting) {
                if ui.button("Disconnect left").clicked() {
                    action = Some(LeftBarAction::Disconnect);
                }
                if ui
                    .checkbox(&mut self.fxp, "FXP")
                    .on_hover_text(
                        "Ask the servers to send files to each other directly; \
                         when either refuses, the bytes are relayed through this computer",
                    )
                    .changed()
                {
                    action = Some(LeftBarAction::SetFxp(self.fxp));
                }
                return;
            }
            let label = ui.label("URL");
            let url = ui
                .add(
                    egui::TextEdit::singleline(&mut self.url)
                        .id_salt("left-url")
                        .hint_text("ftp://user@host/folder")
                        .desired_width(170.0),
                )
                .labelled_by(label.id);
            let label = ui.label("Password");
            let password = ui
                .add(
                    egui::TextEdit::singleline(&mut self.password)
                        .id_salt("left-password")
                        .password(true)
                        .desired_width(80.0),
                )
                .labelled_by(label.id);
            let enter = (url.lost_focus() || password.lost_focus())
                && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Connect left").clicked() || enter {
                action = Some(self.connect_action());
            }
            if !sites.is_empty() {
                ui.menu_button("Sites", |ui| {
                    for site in sites {
                        if ui.button(site.path()).clicked() {
                            action = Some(LeftBarAction::ConnectSite(Box::new(site.clone())));
                            ui.close();
                        }
                    }
                });
            }
        });
        action
    }

    fn connect_action(&self) -> LeftBarAction {
        match options_from_url(&self.url, &self.password) {
            Ok((options, folder)) => LeftBarAction::Connect(Box::new(options), folder),
            Err(why) => LeftBarAction::Invalid(why),
        }
    }
}

/// Connect options and the folder to open for a typed URL; the password
/// field counts when the URL has none.
pub fn options_from_url(
    text: &str,
    password: &str,
) -> Result<(ConnectOptions, Option<String>), String> {
    let url = FtpUrl::parse(text.trim()).map_err(|e| e.to_string())?;
    let mut options = url.connect_options();
    if options.password.is_none() && !password.is_empty() {
        options.password = Some(Secret::new(password.to_string()));
    }
    let folder = Some(url.path.clone()).filter(|p| !p.is_empty());
    Ok((options, folder))
}
