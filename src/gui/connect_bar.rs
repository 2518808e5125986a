//! The bar at the top: where to connect, how, and whether we are.

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::engine::{ConnectOptions, Secret};
use crate::sites::SiteProtocol;
use crate::url::FtpUrl;

/// A connection made before, kept for the drop-down. Never a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub protocol: SiteProtocol,
}

impl Recent {
    fn label(&self) -> String {
        let user = if self.user.is_empty() {
            String::new()
        } else {
            format!("{}@", self.user)
        };
        format!(
            "{}://{user}{}:{}",
            self.protocol.security().scheme(),
            self.host,
            self.port
        )
    }
}

/// Where the browsing connection stands, for the bar and the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Disconnected,
    Connecting,
    Connected { host: String, tls: bool },
}

/// What the user asked of the bar.
#[derive(Debug, Clone)]
pub enum BarAction {
    Connect(Box<ConnectOptions>, Option<String>),
    Disconnect,
    OpenSites,
    /// Connect with a saved site.
    ConnectSite(Box<crate::sites::Site>),
    /// Open the site manager on a new site made from the fields.
    SaveAsSite,
}

#[derive(Default)]
pub struct ConnectBar {
    pub host: String,
    pub port: String,
    pub user: String,
    pub password: String,
    pub protocol: SiteProtocol,
    pub error: Option<String>,
}

impl ConnectBar {
    /// Fills the fields from a URL (`ferry ftp://user@host/path`); returns
    /// the folder to open, if the URL names one.
    pub fn fill_from_url(&mut self, url: &FtpUrl) -> Option<String> {
        self.host = url.host.clone();
        self.port = url.port.to_string();
        self.user = url.user.clone().unwrap_or_default();
        self.password = url.password.clone().unwrap_or_default();
        self.protocol = SiteProtocol::from_security(url.security);
        (!url.path.is_empty()).then(|| url.path.clone())
    }

    pub fn recent(&self) -> Recent {
        Recent {
            host: self.host.trim().to_string(),
            port: self.port.trim().parse().unwrap_or(21),
            user: self.user.trim().to_string(),
            protocol: self.protocol,
        }
    }

    /// The options the fields describe, or why they don't.
    pub fn options(&mut self) -> Result<(ConnectOptions, Option<String>), String> {
        let mut folder = None;
        // A URL typed into the host field fills the rest.
        if self.host.contains("://") {
            let url = FtpUrl::parse(self.host.trim()).map_err(|e| e.to_string())?;
            folder = self.fill_from_url(&url);
        }
        let host = self.host.trim();
        if host.is_empty() {
            return Err("Enter a host to connect to.".to_string());
        }
        let default_port = self.protocol.default_port();
        let port = match self.port.trim() {
            "" => default_port,
            text => text
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{text:?} is not a port number."))?,
        };
        let mut options = ConnectOptions::new(host.to_string());
        options.port = port;
        options.security = self.protocol.security();
        let user = self.user.trim();
        if !user.is_empty() {
            options.user = Some(user.to_string());
        }
        if !self.password.is_empty() {
            options.password = Some(Secret::new(self.password.clone()));
        }
        Ok((options, folder))
    }

    /// A new site with what the fields say (the password stays in the
    /// bar; the caller decides where it goes).
    pub fn as_site(&self) -> crate::sites::Site {
        use crate::sites::{LogonType, Site};
        let recent = self.recent();
        Site {
            id: crate::sites::new_site_id(),
            name: recent.host.clone(),
            host: recent.host,
            port: recent.port,
            protocol: self.protocol,
            logon: if recent.user.is_empty() {
                LogonType::Anonymous
            } else {
                LogonType::Normal
            },
            user: recent.user,
            ..Site::default()
        }
    }

    /// Shows a saved site in the fields (never its password).
    pub fn fill_from_site(&mut self, site: &crate::sites::Site) {
        self.host = site.host.clone();
        self.port = site.effective_port().to_string();
        self.user = site.user.clone();
        self.password.clear();
        self.protocol = site.protocol;
    }

    pub fn ui(
        &mut self,
        ui: &mut Ui,
        state: &LinkState,
        recent: &[Recent],
        sites: &[crate::sites::Site],
    ) -> Option<BarAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            let connected = *state != LinkState::Disconnected;
            // Enter connects when it ends one of the bar's own fields; an
            // Enter typed anywhere else (the path bar, a dialog, the site
            // manager) is not the bar's.
            let mut enter = false;
            ui.add_enabled_ui(!connected, |ui| {
                for field in [
                    labelled_field(ui, "Host", &mut self.host, 140.0, false),
                    labelled_field(ui, "User", &mut self.user, 100.0, false),
                    labelled_field(ui, "Password", &mut self.password, 100.0, true),
                    labelled_field(ui, "Port", &mut self.port, 52.0, false),
                ] {
                    enter |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                }
                let label = ui.label("Protocol");
                egui::ComboBox::from_id_salt("protocol")
                    .selected_text(self.protocol.security().label())
                    .show_ui(ui, |ui| {
                        for protocol in [
                            SiteProtocol::Plain,
                            SiteProtocol::ExplicitTls,
                            SiteProtocol::ImplicitTls,
                            SiteProtocol::Sftp,
                        ] {
                            ui.selectable_value(
                                &mut self.protocol,
                                protocol,
                                protocol.security().label(),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            if connected {
                if ui.button("Disconnect").clicked() {
                    action = Some(BarAction::Disconnect);
                }
            } else {
                if ui.button("Connect").clicked() || (enter && !self.host.is_empty()) {
                    match self.options() {
                        Ok((options, folder)) => {
                            self.error = None;
                            action = Some(BarAction::Connect(Box::new(options), folder));
                        }
                        Err(message) => self.error = Some(message),
                    }
                }
            }
            ui.menu_button("Recent", |ui| {
                if !sites.is_empty() {
                    ui.label("Sites");
                    for site in sites {
                        if ui.button(site.path()).clicked() {
                            action = Some(BarAction::ConnectSite(Box::new(site.clone())));
                            ui.close();
                        }
                    }
                    ui.separator();
                }
                if ui.button("Save as site…").clicked() {
                    action = Some(BarAction::SaveAsSite);
                    ui.close();
                }
                if recent.is_empty() {
                    ui.label("No recent connections");
                }
                for item in recent {
                    if ui.button(item.label()).clicked() {
                        self.host = item.host.clone();
                        self.port = item.port.to_string();
                        self.user = item.user.clone();
                        self.protocol = item.protocol;
                        self.password.clear();
                        ui.close();
                    }
                }
            });
            if ui
                .button("Sites…")
                .on_hover_text("The site manager")
                .clicked()
            {
                action = Some(BarAction::OpenSites);
            }
        });
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error.as_str());
        }
        action
    }
}

/// A label and a text field that screen readers (and tests) know belong
/// together.
fn labelled_field(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    width: f32,
    password: bool,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .id_salt(("connect", label.id))
            .password(password)
            .desired_width(width),
    )
    .labelled_by(label.id)
}
