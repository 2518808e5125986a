//! The protocol seam: what a connection's worker asks of a logged-in
//! session, whichever protocol it speaks. FTP and FTPS ([`Session`]) and
//! SFTP ([`SftpSession`]) stand behind it, so the queue, the window and
//! the command line send the same commands to either.
//!
//! What only FTP has — raw commands, ASCII transfers, checksums asked of
//! the server, FXP and relayed copies between servers — is reached through
//! [`Remote::ftp`], which an SFTP session answers with `None`; the worker
//! then says plainly that the session cannot do it.

use std::path::Path;

use super::command::RequestId;
use super::debug_log::LogSink;
use super::download::DownloadTarget;
use super::error::Result;
use super::event::{FileStat, Listing, SessionInfo, TransferSummary};
use super::session::Session;
use super::ssh::SftpSession;
use super::transfer::{self, TransferObserver};
use crate::listing::RemoteEntry;

pub(super) trait Remote: Send {
    fn info(&self) -> &SessionInfo;
    fn log(&self) -> &LogSink;
    /// The session can no longer be trusted to be in step: the worker
    /// replaces it before the next request.
    fn is_broken(&self) -> bool;
    fn quit(self: Box<Self>);
    /// The FTP session, for what only FTP can do.
    fn ftp(&mut self) -> Option<&mut Session>;
    fn ask_ahead(&mut self, on: bool);

    fn pwd(&mut self) -> Result<String>;
    fn cwd(&mut self, path: &str) -> Result<String>;
    fn cdup(&mut self) -> Result<String>;
    /// See [`super::Command::Resolve`].
    fn resolve_folder(&mut self, path: &str) -> Result<String>;
    fn list(&mut self, path: Option<&str>) -> Result<Listing>;
    fn list_in_parts(
        &mut self,
        path: Option<&str>,
        part: &mut dyn FnMut(Vec<RemoteEntry>),
    ) -> Result<Listing>;
    fn name_list(&mut self, path: Option<&str>) -> Result<Vec<String>>;
    fn mkdir(&mut self, path: &str) -> Result<()>;
    fn rmdir(&mut self, path: &str) -> Result<()>;
    fn delete(&mut self, path: &str) -> Result<()>;
    fn rename(&mut self, from: &str, to: &str) -> Result<()>;
    fn size(&mut self, path: &str) -> Result<u64>;
    fn modification_time(&mut self, path: &str) -> Result<chrono::NaiveDateTime>;
    fn stat(&mut self, path: &str) -> Result<FileStat>;
    fn chmod(&mut self, path: &str, mode: &str) -> Result<()>;
    fn set_modification_time(&mut self, path: &str, time: chrono::NaiveDateTime) -> Result<()>;
    /// Something harmless that the server answers, so an idle login is
    /// not dropped (FTP: NOOP).
    fn keep_alive(&mut self) -> Result<()>;
    fn download(
        &mut self,
        request: RequestId,
        target: &DownloadTarget<'_>,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary>;
    fn upload(
        &mut self,
        request: RequestId,
        local: &Path,
        remote: &str,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary>;
}

impl Remote for Session {
    fn info(&self) -> &SessionInfo {
        Session::info(self)
    }
    fn log(&self) -> &LogSink {
        Session::log(self)
    }
    fn is_broken(&self) -> bool {
        Session::is_broken(self)
    }
    fn quit(self: Box<Self>) {
        Session::quit(*self)
    }
    fn ftp(&mut self) -> Option<&mut Session> {
        Some(self)
    }
    fn ask_ahead(&mut self, on: bool) {
        Session::ask_ahead(self, on)
    }
    fn pwd(&mut self) -> Result<String> {
        Session::pwd(self)
    }
    fn cwd(&mut self, path: &str) -> Result<String> {
        Session::cwd(self, path)
    }
    fn cdup(&mut self) -> Result<String> {
        Session::cdup(self)
    }
    fn resolve_folder(&mut self, path: &str) -> Result<String> {
        Session::resolve_folder(self, path)
    }
    fn list(&mut self, path: Option<&str>) -> Result<Listing> {
        Session::list(self, path)
    }
    fn list_in_parts(
        &mut self,
        path: Option<&str>,
        part: &mut dyn FnMut(Vec<RemoteEntry>),
    ) -> Result<Listing> {
        Session::list_in_parts(self, path, part)
    }
    fn name_list(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        Session::name_list(self, path)
    }
    fn mkdir(&mut self, path: &str) -> Result<()> {
        Session::mkdir(self, path)
    }
    fn rmdir(&mut self, path: &str) -> Result<()> {
        Session::rmdir(self, path)
    }
    fn delete(&mut self, path: &str) -> Result<()> {
        Session::delete(self, path)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        Session::rename(self, from, to)
    }
    fn size(&mut self, path: &str) -> Result<u64> {
        Session::size(self, path)
    }
    fn modification_time(&mut self, path: &str) -> Result<chrono::NaiveDateTime> {
        Session::modification_time(self, path)
    }
    fn stat(&mut self, path: &str) -> Result<FileStat> {
        Session::stat(self, path)
    }
    fn chmod(&mut self, path: &str, mode: &str) -> Result<()> {
        Session::chmod(self, path, mode)
    }
    fn set_modification_time(&mut self, path: &str, time: chrono::NaiveDateTime) -> Result<()> {
        Session::set_modification_time(self, path, time)
    }
    fn keep_alive(&mut self) -> Result<()> {
        let reply = self.raw("NOOP")?;
        match reply.code {
            200..=299 => Ok(()),
            code => Err(super::Error::from_reply(code, &reply.text)),
        }
    }
    fn download(
        &mut self,
        request: RequestId,
        target: &DownloadTarget<'_>,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        transfer::download(self, request, target, observer)
    }
    fn upload(
        &mut self,
        request: RequestId,
        local: &Path,
        remote: &str,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        transfer::upload(self, request, local, remote, resume, observer)
    }
}

impl Remote for SftpSession {
    fn info(&self) -> &SessionInfo {
        SftpSession::info(self)
    }
    fn log(&self) -> &LogSink {
        SftpSession::log(self)
    }
    fn is_broken(&self) -> bool {
        SftpSession::is_broken(self)
    }
    fn quit(self: Box<Self>) {
        SftpSession::quit(*self)
    }
    fn ftp(&mut self) -> Option<&mut Session> {
        None
    }
    fn ask_ahead(&mut self, _: bool) {}
    fn pwd(&mut self) -> Result<String> {
        Ok(SftpSession::pwd(self))
    }
    fn cwd(&mut self, path: &str) -> Result<String> {
        SftpSession::cwd(self, path)
    }
    fn cdup(&mut self) -> Result<String> {
        SftpSession::cwd(self, "..")
    }
    fn resolve_folder(&mut self, path: &str) -> Result<String> {
        SftpSession::resolve_folder(self, path)
    }
    fn list(&mut self, path: Option<&str>) -> Result<Listing> {
        let entries = SftpSession::list(self, path.unwrap_or("."))?;
        Ok(Listing {
            entries,
            incomplete: None,
            exact_times: true,
        })
    }
    fn list_in_parts(
        &mut self,
        path: Option<&str>,
        _part: &mut dyn FnMut(Vec<RemoteEntry>),
    ) -> Result<Listing> {
        // Handed over whole: the final listing holds every entry.
        Remote::list(self, path)
    }
    fn name_list(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        let entries = SftpSession::list(self, path.unwrap_or("."))?;
        Ok(entries.into_iter().map(|e| e.name).collect())
    }
    fn mkdir(&mut self, path: &str) -> Result<()> {
        SftpSession::mkdir(self, path)
    }
    fn rmdir(&mut self, path: &str) -> Result<()> {
        SftpSession::rmdir(self, path)
    }
    fn delete(&mut self, path: &str) -> Result<()> {
        SftpSession::delete(self, path)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        SftpSession::rename(self, from, to)
    }
    fn size(&mut self, path: &str) -> Result<u64> {
        SftpSession::stat(self, path)?
            .size
            .ok_or_else(|| super::Error::Permanent {
                code: 550,
                text: format!("the server gives no size for {path}"),
            })
    }
    fn modification_time(&mut self, path: &str) -> Result<chrono::NaiveDateTime> {
        SftpSession::stat(self, path)?
            .modified
            .ok_or_else(|| super::Error::Permanent {
                code: 550,
                text: format!("the server gives no time for {path}"),
            })
    }
    fn stat(&mut self, path: &str) -> Result<FileStat> {
        SftpSession::stat(self, path)
    }
    fn chmod(&mut self, path: &str, mode: &str) -> Result<()> {
        SftpSession::chmod(self, path, mode)
    }
    fn set_modification_time(&mut self, path: &str, time: chrono::NaiveDateTime) -> Result<()> {
        SftpSession::set_modification_time(self, path, time)
    }
    fn keep_alive(&mut self) -> Result<()> {
        SftpSession::resolve_folder(self, ".").map(drop)
    }
    fn download(
        &mut self,
        request: RequestId,
        target: &DownloadTarget<'_>,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        SftpSession::download(
            self,
            request,
            target.remote,
            target.local,
            target.resume,
            observer,
        )
    }
    fn upload(
        &mut self,
        request: RequestId,
        local: &Path,
        remote: &str,
        resume: bool,
        observer: &mut dyn TransferObserver,
    ) -> Result<TransferSummary> {
        SftpSession::upload(self, request, local, remote, resume, observer)
    }
}
