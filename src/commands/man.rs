//! `apono-okta man`: man pages from the clap definitions, one per subcommand.

use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::commands::completions::BIN_NAME;
use crate::error::ExitKind;
use crate::help;
use crate::output;

/// Every man page, as (file name, roff): `apono-okta.1` and one per subcommand
/// (`apono-okta-connect.1`, ...), each with the options and usage clap knows, then
/// EXAMPLES, EXIT STATUS and ENVIRONMENT from [`crate::help`].
fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // No `help` subcommand: its page is not generated, so no page may refer to it.
    let mut top = Cli::command().disable_help_subcommand(true);
    // Building propagates the version and gives each subcommand its display name
    // (`apono-okta-connect`), which becomes the page's title.
    top.build();
    let mut pages = Vec::new();
    for command in std::iter::once(&top).chain(top.get_subcommands()) {
        let subcommand = (command.get_name() != top.get_name()).then(|| command.get_name());
        let roff = man_page(command, subcommand)?;
        let title = command.get_display_name().unwrap_or(command.get_name());
        pages.push((format!("{title}.1"), roff));
    }
    Ok(pages)
}

/// One page: clap_mangen's sections but its EXTRA (the `--help` examples, which the
/// EXAMPLES section renders as roff), then ours.
fn man_page(command: &clap::Command, subcommand: Option<&str>) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if command.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    own_sections(subcommand).to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// EXAMPLES, EXIT STATUS and ENVIRONMENT, as roff.
fn own_sections(subcommand: Option<&str>) -> roff::Roff {
    use roff::{Roff, bold, roman};
    let mut page = Roff::new();
    let examples = help::examples(subcommand);
    if !examples.is_empty() {
        page.control("SH", ["EXAMPLES"]);
        for example in examples {
            page.control("TP", [] as [&str; 0]);
            page.text([roman(example.what)]);
            page.text([bold(example.command)]);
        }
    }
    page.control("SH", ["EXIT STATUS"]);
    for (kind, meaning) in help::EXIT_STATUS {
        page.control("TP", [] as [&str; 0]);
        page.text([bold(kind.code().to_string())]);
        page.text([roman(*meaning)]);
    }
    page.control("SH", ["ENVIRONMENT"]);
    for (variable, meaning) in help::ENVIRONMENT {
        page.control("TP", [] as [&str; 0]);
        page.text([bold(*variable)]);
        page.text([roman(*meaning)]);
    }
    page
}

/// `man`: print the top page or one subcommand's, or write them all to `--dir`.
pub(crate) fn run(args: &ManArgs) -> u8 {
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
            // Named by its length only: what was typed may be a pasted token (DESIGN.md §5).
            output::stderr_line(
                "error: ",
                &format!(
                    "no man page for the command given ({} characters, not shown); one of: {}",
                    args.command.as_deref().unwrap_or_default().chars().count(),
                    known.join(", ")
                ),
            );
            ExitKind::Usage.code()
        }
    }
}
