//! Optional encryption of a backup file with age (X25519 recipients, `age1…`): the archive is
//! written through age's stream, and read back through it with an identity file
//! (`AGE-SECRET-KEY-1…`, as `age-keygen` writes it). age authenticates every chunk, so a
//! changed byte is refused before anything is restored. The file is then readable by the
//! `age` command too: `age -d -i key.txt backup.tar.age | tar t`.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use kyoyu_domain::messages::ja;

/// How every age file begins.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";

/// Parses the recipients an operator gave (`--encrypt-to age1…`).
pub fn recipients(texts: &[String]) -> anyhow::Result<Vec<age::x25519::Recipient>> {
    texts
        .iter()
        .map(|t| {
            t.trim().parse::<age::x25519::Recipient>().map_err(|e| {
                anyhow::anyhow!(ja(
                    "backup.bad_recipient",
                    &[("value", t.trim()), ("detail", e)]
                ))
            })
        })
        .collect()
}

/// Where the archive is written: the file itself, or age's encrypting stream over it.
pub enum Sealed<W: Write> {
    Plain(W),
    Age(age::stream::StreamWriter<W>),
}

impl<W: Write> Sealed<W> {
    /// Writes `out` encrypted to `recipients`, or as it is when there are none.
    pub fn new(out: W, recipients: &[age::x25519::Recipient]) -> anyhow::Result<Sealed<W>> {
        if recipients.is_empty() {
            return Ok(Sealed::Plain(out));
        }
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| {
                    anyhow::anyhow!(ja("backup.encrypt_failed", &[("detail", &e.to_string())]))
                })?;
        Ok(Sealed::Age(encryptor.wrap_output(out)?))
    }

    /// Ends the stream (age writes its last chunk) and hands back the file.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Sealed::Plain(w) => Ok(w),
            Sealed::Age(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for Sealed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sealed::Plain(w) => w.write(buf),
            Sealed::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealed::Plain(w) => w.flush(),
            Sealed::Age(w) => w.flush(),
        }
    }
}

/// Opens a backup file for reading: decrypted with the identities in `identity` when it is an
/// age file (which then needs one), as it is otherwise.
pub fn open(file: &Path, identity: Option<&Path>) -> anyhow::Result<Box<dyn Read>> {
    let label = file.display().to_string();
    let mut f = File::open(file).with_context(|| ja("cli.file_unreadable", &[("file", &label)]))?;
    let mut head = [0u8; AGE_MAGIC.len()];
    let n = read_up_to(&mut f, &mut head)?;
    let plain = io::Cursor::new(head[..n].to_vec()).chain(f);
    if &head[..n] != AGE_MAGIC {
        return Ok(Box::new(BufReader::new(plain)));
    }
    let Some(identity) = identity else {
        bail!(ja("backup.needs_identity", &[("file", &label)]));
    };
    let key_label = identity.display().to_string();
    let identities = age::IdentityFile::from_file(key_label.clone())
        .ok()
        .and_then(|f| f.into_identities().ok())
        .filter(|ids| !ids.is_empty())
        .ok_or_else(|| anyhow::anyhow!(ja("backup.bad_identity", &[("file", &key_label)])))?;
    let decryptor = age::Decryptor::new_buffered(BufReader::new(plain)).map_err(|e| {
        anyhow::anyhow!(ja(
            "backup.decrypt_failed",
            &[("file", &label), ("detail", &e.to_string())]
        ))
    })?;
    let reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => {
                anyhow::anyhow!(ja(
                    "backup.wrong_identity",
                    &[("file", &label), ("key", &key_label)]
                ))
            }
            other => anyhow::anyhow!(ja(
                "backup.decrypt_failed",
                &[("file", &label), ("detail", &other.to_string())]
            )),
        })?;
    Ok(Box::new(BufReader::new(reader)))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
