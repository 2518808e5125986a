//! The site manager window: the folder tree of saved sites on the left,
//! the selected site's settings on the right. It edits a copy; Save hands
//! it to the site worker, which writes the file and the keyring.

use egui::{Context, Ui};

use crate::sites::{LogonType, Site, SiteProtocol, TransferMode, new_site_id};

/// What the user asked of the site manager.
#[derive(Debug, Clone)]
pub enum SiteManagerAction {
    /// Save this site; `password` as in [`super::site_worker::SiteOp::Save`].
    Save {
        site: Box<Site>,
        password: Option<Option<String>>,
    },
    Delete(String),
    ImportFileZilla,
    ExportFileZilla,
    /// Connect; the password typed in the form, if any, is used as is.
    Connect(Box<Site>, Option<String>),
}

#[derive(Default)]
pub struct SiteManager {
    pub open: bool,
    pub sites: Vec<Site>,
    /// The site being edited (a copy), and whether it was changed.
    draft: Option<Site>,
    dirty: bool,
    /// The password field; only sent when the user typed in it.
    password: String,
    password_touched: bool,
    folder_text: String,
    certificates_text: String,
    confirm_delete: bool,
}

impl SiteManager {
    /// Opens the window on `site` (a new one to save, or an existing one).
    pub fn open_with(&mut self, site: Site, password: Option<String>) {
        self.open = true;
        let is_new = !self.sites.iter().any(|s| s.id == site.id);
        self.select(site);
        if let Some(password) = password {
            self.password = password;
            self.password_touched = true;
        }
        self.dirty = is_new;
    }

    fn select(&mut self, site: Site) {
        self.folder_text = site.folder.join("/");
        self.certificates_text = site.trusted_certificates.join("\n");
        self.draft = Some(site);
        self.dirty = false;
        self.password.clear();
        self.password_touched = false;
        self.confirm_delete = false;
    }

    /// The sites as the file has them now; the draft follows its site.
    pub fn set_sites(&mut self, sites: Vec<Site>) {
        self.sites = sites;
        self.sites.sort_by_key(|s| s.path().to_lowercase());
    }

    pub fn show(&mut self, ctx: &Context) -> Vec<SiteManagerAction> {
        let mut actions = Vec::new();
        if !self.open {
            return actions;
        }
        let mut open = self.open;
        egui::Window::new("Site manager")
            .id(egui::Id::unique("site-manager"))
            .open(&mut open)
            .default_size([760.0, 480.0])
            .show(ctx, |ui| {
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(240.0);
                        self.tree(ui);
                        ui.horizontal(|ui| {
                            if ui.button("New site").clicked() {
                                let site = Site {
                                    id: new_site_id(),
                                    name: "New site".to_string(),
                                    folder: self
                                        .draft
                                        .as_ref()
                                        .map(|d| d.folder.clone())
                                        .unwrap_or_default(),
                                    ..Site::default()
                                };
                                self.select(site);
                                self.dirty = true;
                            }
                            if ui.button("Import from FileZilla…").clicked() {
                                actions.push(SiteManagerAction::ImportFileZilla);
                            }
                            if ui
                                .button("Export…")
                                .on_hover_text("As FileZilla's sitemanager.xml")
                                .clicked()
                            {
                                actions.push(SiteManagerAction::ExportFileZilla);
                            }
                        });
                        ui.horizontal(|ui| {
                            let can_copy = self.draft.is_some();
                            if ui
                                .add_enabled(can_copy, egui::Button::new("Duplicate"))
                                .clicked()
                                && let Some(draft) = self.draft.clone()
                            {
                                let copy = Site {
                                    id: new_site_id(),
                                    name: format!("{} (copy)", draft.name),
                                    ..draft
                                };
                                self.select(copy);
                                self.dirty = true;
                            }
                        });
                    });
                    ui.separator();
                    ui.vertical(|ui| self.form(ui, &mut actions));
                });
            });
        self.open = open;
        actions
    }

    /// Sites grouped by folder, as collapsible headers.
    fn tree(&mut self, ui: &mut Ui) {
        let mut picked = None;
        egui::ScrollArea::vertical()
            .id_salt("site-tree")
            .max_height(360.0)
            .show(ui, |ui| {
                if self.sites.is_empty() {
                    ui.label("No saved sites yet.");
                }
                let mut folders: Vec<Vec<String>> =
                    self.sites.iter().map(|s| s.folder.clone()).collect();
                folders.sort();
                folders.dedup();
                for folder in folders {
                    let show = |ui: &mut Ui, picked: &mut Option<Site>| {
                        for site in self.sites.iter().filter(|s| s.folder == folder) {
                            let selected = self.draft.as_ref().is_some_and(|d| d.id == site.id);
                            if ui.selectable_label(selected, &site.name).clicked() {
                                *picked = Some(site.clone());
                            }
                        }
                    };
                    if folder.is_empty() {
                        show(ui, &mut picked);
                    } else {
                        egui::CollapsingHeader::new(folder.join(" / "))
                            .id_salt(("site-folder", folder.join("/")))
                            .default_open(true)
                            .show(ui, |ui| show(ui, &mut picked));
                    }
                }
            });
        if let Some(site) = picked {
            self.select(site);
        }
    }

    fn form(&mut self, ui: &mut Ui, actions: &mut Vec<SiteManagerAction>) {
        let Some(site) = self.draft.as_mut() else {
            ui.label("Choose a site, or make a new one.");
            return;
        };
        let mut changed = false;
        egui::Grid::new("site-form")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                changed |= field(ui, "Name", &mut site.name, false);
                changed |= field(ui, "Folder", &mut self.folder_text, false);
                changed |= field(ui, "Host", &mut site.host, false);
                let mut port = if site.port == 0 {
                    String::new()
                } else {
                    site.port.to_string()
                };
                if field(ui, "Port", &mut port, false) {
                    site.port = port.trim().parse().unwrap_or(0);
                    changed = true;
                }
                let label = ui.label("Protocol");
                egui::ComboBox::from_id_salt("site-protocol")
                    .selected_text(protocol_label(site.protocol))
                    .show_ui(ui, |ui| {
                        for p in [
                            SiteProtocol::Plain,
                            SiteProtocol::ExplicitTls,
                            SiteProtocol::ImplicitTls,
                            SiteProtocol::Sftp,
                        ] {
                            changed |= ui
                                .selectable_value(&mut site.protocol, p, protocol_label(p))
                                .changed();
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Logon");
                egui::ComboBox::from_id_salt("site-logon")
                    .selected_text(logon_label(site.logon))
                    .show_ui(ui, |ui| {
                        for l in [
                            LogonType::Anonymous,
                            LogonType::Normal,
                            LogonType::AskForPassword,
                            LogonType::Account,
                        ] {
                            changed |= ui
                                .selectable_value(&mut site.logon, l, logon_label(l))
                                .changed();
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
                changed |= field(ui, "User", &mut site.user, false);
                if matches!(site.logon, LogonType::Normal | LogonType::Account)
                    && field(ui, "Password", &mut self.password, true)
                {
                    self.password_touched = true;
                    changed = true;
                }
                if site.logon == LogonType::Account {
                    changed |= field(ui, "Account", &mut site.account, false);
                }
                // FTP's alone: SFTP has no data connections to open.
                let ftp = site.protocol != SiteProtocol::Sftp;
                if ftp {
                    let label = ui.label("Transfer mode");
                    egui::ComboBox::from_id_salt("site-mode")
                        .selected_text(format!("{:?}", site.transfer_mode))
                        .show_ui(ui, |ui| {
                            for m in [
                                TransferMode::Default,
                                TransferMode::Passive,
                                TransferMode::Active,
                            ] {
                                changed |= ui
                                    .selectable_value(&mut site.transfer_mode, m, format!("{m:?}"))
                                    .changed();
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    ui.end_row();
                }
                let label = ui.label("Connections");
                changed |= ui
                    .add(egui::DragValue::new(&mut site.max_connections).range(0..=10))
                    .labelled_by(label.id)
                    .on_hover_text("Transfer connections; 0: the default (2)")
                    .changed();
                ui.end_row();
                ui.label("Checksums");
                changed |= ui
                    .checkbox(
                        &mut site.verify_transfers,
                        "Verify transfers when the server can",
                    )
                    .on_hover_text(
                        "Each download and upload is checked against the server's checksum \
                         of the file (HASH, XSHA256, XMD5…); servers without one are said so",
                    )
                    .changed();
                ui.end_row();
                if site.protocol == SiteProtocol::Sftp {
                    let label = ui.label("Key file");
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(&mut site.key_file)
                                .hint_text("~/.ssh/id_ed25519 (optional)"),
                        )
                        .labelled_by(label.id)
                        .on_hover_text(
                            "A private key to log in with, before the SSH agent's and \
                             ~/.ssh's; a path, the key itself is never copied",
                        )
                        .changed();
                    ui.end_row();
                }
                if site.protocol.security().is_tls() {
                    ui.label("Encryption");
                    ui.vertical(|ui| {
                        changed |= ui
                            .checkbox(&mut site.clear_data, "Unencrypted data (PROT C)")
                            .on_hover_text(
                                "File contents and listings travel in clear; \
                                 the login and commands stay encrypted",
                            )
                            .changed();
                        changed |= ui
                            .checkbox(
                                &mut site.clear_control_channel,
                                "Clear the command channel after login (CCC)",
                            )
                            .on_hover_text(
                                "Commands and replies travel in clear after login, \
                                 for firewalls that must read them; data stays encrypted",
                            )
                            .changed();
                    });
                    ui.end_row();
                }
                changed |= field(ui, "Encoding", &mut site.encoding, false);
                changed |= field(ui, "Local folder", &mut site.local_dir, false);
                changed |= field(ui, "Remote folder", &mut site.remote_dir, false);
                let label = ui.label("Comments");
                changed |= ui
                    .add(egui::TextEdit::multiline(&mut site.comments).desired_rows(2))
                    .labelled_by(label.id)
                    .changed();
                ui.end_row();
                // TLS certificates: an SFTP server is known by its host
                // key instead (known_hosts).
                if ftp {
                    let label = ui.label("Trusted certificates");
                    changed |= ui
                        .add(
                            egui::TextEdit::multiline(&mut self.certificates_text)
                                .desired_rows(2)
                                .hint_text("SHA-256 fingerprints, one a line"),
                        )
                        .labelled_by(label.id)
                        .changed();
                    ui.end_row();
                }
            });
        self.dirty |= changed;
        let valid = !site.name.trim().is_empty() && !site.host.trim().is_empty();
        let saved = self.sites.iter().any(|s| s.id == site.id);
        let (mut save, mut connect, mut delete, mut ask, mut keep) =
            (false, false, false, false, false);
        ui.horizontal(|ui| {
            save = ui
                .add_enabled(self.dirty && valid, egui::Button::new("Save"))
                .clicked();
            connect = ui
                .add_enabled(valid, egui::Button::new("Connect"))
                .clicked();
            if self.confirm_delete {
                ui.label("Delete this site?");
                delete = ui.button("Yes, delete").clicked();
                keep = ui.button("No").clicked();
            } else {
                ask = ui.add_enabled(saved, egui::Button::new("Delete")).clicked();
            }
            if self.dirty {
                ui.label("(not saved)");
            }
        });
        if save {
            site.folder = self
                .folder_text
                .split('/')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            site.trusted_certificates = self
                .certificates_text
                .lines()
                .filter_map(crate::engine::normalize_fingerprint)
                .collect();
            site.name = site.name.trim().to_string();
            site.host = site.host.trim().to_string();
            let password = match site.logon {
                LogonType::Normal | LogonType::Account if self.password_touched => {
                    Some(Some(self.password.clone()))
                }
                LogonType::Anonymous | LogonType::AskForPassword => Some(None),
                _ => None,
            };
            actions.push(SiteManagerAction::Save {
                site: Box::new(site.clone()),
                password,
            });
            self.dirty = false;
            self.password_touched = false;
        }
        if connect {
            let typed =
                (self.password_touched && !self.password.is_empty()).then(|| self.password.clone());
            actions.push(SiteManagerAction::Connect(Box::new(site.clone()), typed));
        }
        if ask {
            self.confirm_delete = true;
        }
        if keep {
            self.confirm_delete = false;
        }
        if delete {
            actions.push(SiteManagerAction::Delete(site.id.clone()));
            self.draft = None;
            self.confirm_delete = false;
        }
    }
}

fn field(ui: &mut Ui, label: &str, text: &mut String, password: bool) -> bool {
    let label = ui.label(label);
    let changed = ui
        .add(
            egui::TextEdit::singleline(text)
                .id_salt(("site-field", label.id))
                .password(password)
                .desired_width(320.0),
        )
        .labelled_by(label.id)
        .changed();
    ui.end_row();
    changed
}

fn protocol_label(protocol: SiteProtocol) -> &'static str {
    protocol.security().label()
}

fn logon_label(logon: LogonType) -> &'static str {
    match logon {
        LogonType::Anonymous => "Anonymous",
        LogonType::Normal => "Normal",
        LogonType::AskForPassword => "Ask for password",
        LogonType::Account => "Account",
    }
}
