//! `flowsim merge`: the shard folders of a run or sweep into the result one machine would
//! have written.

use std::time::Instant;

use super::sweep::{Units, reference_point, sweep_index, write_contrasts};
use super::{draw_charts, print_out};
use crate::cli::MergeArgs;
use crate::error::Error;
use crate::output::files;
use crate::output::json::write_json;
use crate::shard::Merged;

/// `flowsim merge`: checks that the shard folders belong together, writes what one machine
/// would have written, draws its charts and prints its table.
///
/// # Errors
/// Shards that do not belong together (bad input), output that cannot be written, or a closed
/// standard output.
pub fn merge(args: &MergeArgs) -> Result<(), Error> {
    let start = Instant::now();
    let out = &args.out;
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    if !args.reference.is_empty() && crate::shard::check_shards(&args.shards)?[0].1.kind != "sweep"
    {
        return Err(Error::bad_input(
            "--reference applies to the shards of a sweep only; these are the shards of a run",
        ));
    }
    let text = match crate::shard::merge(&args.shards, out)? {
        Merged::Run { run, shards } => {
            draw_charts(out, &run.text, &args.charts)?;
            let mut s = crate::report::render(&run.scenario, &run.finished, out, args.all_metrics);
            s.push_str(&format!(
                "Merged {shards} shard{} in {:.2} s\n",
                plural(shards),
                start.elapsed().as_secs_f64()
            ));
            s
        }
        Merged::Sweep {
            scenario,
            origin,
            params,
            points,
            units,
            text,
            shards,
        } => {
            let reference = reference_point(&args.reference, &params, &points)?;
            let mut u = Units::new();
            for (name, unit) in units {
                u.0.entry(name).or_insert(unit);
            }
            write_contrasts(out, &scenario, &params, &points, reference, &u)?;
            let index = sweep_index(
                &params,
                &points,
                reference,
                &scenario,
                &origin,
                &|_| "finished",
                &[],
            );
            write_json(&out.join(files::MANIFEST), &index)?;
            draw_charts(out, &text, &args.charts)?;
            let points = points.len();
            format!(
                "{scenario} sweep — {points} points merged from {shards} shard{} in {:.2} s\nWrote {}\n",
                plural(shards),
                start.elapsed().as_secs_f64(),
                out.display()
            )
        }
    };
    print_out(&text)
}
