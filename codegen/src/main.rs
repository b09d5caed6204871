//! The `ibops-codegen` command line: `generate` writes the generated files,
//! `check` fails when they are stale.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgMatches, Command, value_parser};

fn cli() -> Command {
    let schema = Arg::new("schema")
        .long("schema")
        .value_name("FILE")
        .default_value("ops.toml")
        .value_parser(value_parser!(PathBuf))
        .help("The schema, relative to --root unless absolute");
    let root = Arg::new("root")
        .long("root")
        .value_name("DIR")
        .default_value(".")
        .value_parser(value_parser!(PathBuf))
        .help("The workspace root the generated paths are relative to");
    Command::new("ibops-codegen")
        .about("Generates the ibops device-ops plumbing from ops.toml")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("generate")
                .about("Write every generated file (only if the whole schema is valid)")
                .arg(schema.clone())
                .arg(root.clone()),
        )
        .subcommand(
            Command::new("check")
                .about("Exit 1, naming each stale generated file with a diff, unless all are fresh")
                .arg(schema)
                .arg(root),
        )
}

fn paths(args: &ArgMatches) -> (PathBuf, PathBuf) {
    let get = |name: &str| args.get_one::<PathBuf>(name).cloned().unwrap_or_default();
    (get("root"), get("schema"))
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let result = match matches.subcommand() {
        Some(("generate", args)) => {
            let (root, schema) = paths(args);
            ibops_codegen::generate(&root, &schema).map(|outcomes| {
                for outcome in &outcomes {
                    println!("{outcome}");
                }
                ExitCode::SUCCESS
            })
        }
        Some(("check", args)) => {
            let (root, schema) = paths(args);
            ibops_codegen::check(&root, &schema).map(|stale| {
                if stale.is_empty() {
                    println!("all generated files are up to date");
                    return ExitCode::SUCCESS;
                }
                for file in &stale {
                    eprintln!("stale: {}\n{}", file.path.display(), file.diff);
                }
                eprintln!(
                    "{} generated file(s) are stale: run `{}`",
                    stale.len(),
                    ibops_codegen::emit::GENERATE_COMMAND
                );
                ExitCode::FAILURE
            })
        }
        _ => Ok(ExitCode::from(2)),
    };
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}
