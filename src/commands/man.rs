//! `apono-okta man`: man pages from the clap definitions, one per subcommand.

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::commands::completions::BIN_NAME;
use crate::error::ExitKind;
use crate::output;

/// Every man page, as (file name, roff): `apono-okta.1` and one per subcommand
/// (`apono-okta-connect.1`, ...), each with the options and usage clap knows.
fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut top = Cli::command();
    // Building propagates the version and gives each subcommand its display name
    // (`apono-okta-connect`), which becomes the page's title.
    top.build();
    let mut pages = Vec::new();
    for command in std::iter::once(&top).chain(top.get_subcommands()) {
        if command.get_name() == "help" {
            continue;
        }
        let mut roff = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut roff)?;
        let title = command.get_display_name().unwrap_or(command.get_name());
        pages.push((format!("{title}.1"), roff));
    }
    Ok(pages)
}

/// `man`: print the top page or one subcommand's, or write them all to `--dir`.
pub fn run(args: &ManArgs) -> u8 {
    let pages = match man_pages() {
        Ok(pages) => pages,
        Err(e) => {
            output::stderr_line("error: ", &format!("cannot render the man pages: {e}"));
            return ExitKind::Unexpected.code();
        }
    };
    if let Some(dir) = &args.dir {
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            pages
                .iter()
                .try_for_each(|(name, roff)| std::fs::write(dir.join(name), roff))
        });
        return match written {
            Ok(()) => {
                output::stderr_line(
                    "",
                    &format!("Wrote {} man pages to {}.", pages.len(), dir.display()),
                );
                0
            }
            Err(e) => {
                output::stderr_line(
                    "error: ",
                    &format!("cannot write the man pages to {}: {e}", dir.display()),
                );
                ExitKind::Unexpected.code()
            }
        };
    }
    let wanted = match &args.command {
        Some(command) => format!("{BIN_NAME}-{command}.1"),
        None => format!("{BIN_NAME}.1"),
    };
    match pages.iter().find(|(name, _)| *name == wanted) {
        Some((_, roff)) => {
            output::print_raw(String::from_utf8_lossy(roff).trim_end());
            0
        }
        None => {
            let known: Vec<&str> = pages
                .iter()
                .filter_map(|(name, _)| {
                    name.strip_prefix(&format!("{BIN_NAME}-"))?
                        .strip_suffix(".1")
                })
                .collect();
            output::stderr_line(
                "error: ",
                &format!(
                    "no man page for `{}`; one of: {}",
                    args.command.as_deref().unwrap_or_default(),
                    known.join(", ")
                ),
            );
            ExitKind::Usage.code()
        }
    }
}
