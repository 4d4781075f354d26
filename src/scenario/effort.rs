//! Distributions as the file writes them (`effort = { dist = "lognormal", mean = 6, sd = 3 }`),
//! shared by every table that gives an effort or a duration.

use serde::Deserialize;

use super::data;
use super::problems::Checker;
use super::schema::{Field, FileType, Ty, req};
use crate::dist::Dist;

/// A `{ dist = ... }` table; values are in the unit of the field that holds it (hours unless
/// the field's name says otherwise).
#[derive(Debug, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum EffortFile {
    Constant {
        value: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Exponential {
        mean: f64,
    },
    Lognormal {
        mean: f64,
        sd: f64,
    },
    Gamma {
        shape: f64,
        mean: f64,
    },
    Erlang {
        k: u32,
        mean: f64,
    },
    /// The team's own numbers: a list, or a column of a CSV file (relative to the scenario).
    Empirical {
        values: Option<Vec<f64>>,
        file: Option<String>,
        column: Option<String>,
        /// Every observed value multiplied by this (default 1): "what if this stage took 20%
        /// less?" is `scale = 0.8`.
        scale: Option<f64>,
    },
}

// Hints shared by several variants' parameters.
const MEAN: &str = "the mean, e.g. mean = 4";
const SD: &str = "the standard deviation, e.g. sd = 2";
const MIN: &str = "the least value, e.g. min = 1";
const MAX: &str = "the most value, e.g. max = 8";

/// An optional parameter (the empirical distribution takes its values from one of two places).
const fn opt(name: &'static str, ty: Ty, hint: &'static str) -> Field {
    Field {
        name,
        ty,
        required: false,
        hint,
    }
}

/// The `{ dist = ... }` tables: the tag picks the variant, each with its own parameters.
impl FileType for EffortFile {
    const TY: Ty = Ty::Tagged {
        tag: "dist",
        variants: &[
            (
                "constant",
                &[req("value", Ty::Float, "the value, e.g. value = 4")],
            ),
            (
                "uniform",
                &[req("min", Ty::Float, MIN), req("max", Ty::Float, MAX)],
            ),
            (
                "triangular",
                &[
                    req("min", Ty::Float, MIN),
                    req("mode", Ty::Float, "the most likely value, e.g. mode = 3"),
                    req("max", Ty::Float, MAX),
                ],
            ),
            ("exponential", &[req("mean", Ty::Float, MEAN)]),
            (
                "lognormal",
                &[req("mean", Ty::Float, MEAN), req("sd", Ty::Float, SD)],
            ),
            (
                "gamma",
                &[
                    req("shape", Ty::Float, "the shape k, e.g. shape = 2"),
                    req("mean", Ty::Float, MEAN),
                ],
            ),
            (
                "erlang",
                &[
                    req(
                        "k",
                        <u32 as FileType>::TY,
                        "the number of phases, e.g. k = 3",
                    ),
                    req("mean", Ty::Float, MEAN),
                ],
            ),
            (
                "empirical",
                &[
                    opt(
                        "values",
                        Ty::Array(&Ty::Float),
                        "the observed values, e.g. values = [3, 5, 8, 13]",
                    ),
                    opt(
                        "file",
                        Ty::Str,
                        "a CSV file of observed values, e.g. file = \"data/history.csv\"",
                    ),
                    opt(
                        "column",
                        Ty::Str,
                        "the CSV column of hours, e.g. column = \"dev_hours\"",
                    ),
                    opt(
                        "scale",
                        Ty::Float,
                        "every observed value multiplied by this, e.g. scale = 0.8",
                    ),
                ],
            ),
        ],
    };
}

impl EffortFile {
    /// The distribution, its values multiplied by `unit_scale` (1 keeps the file's unit, 168
    /// turns weeks into hours), reporting impossible parameters at `path`.
    pub(super) fn to_dist(&self, path: &str, unit_scale: f64, ck: &mut Checker) -> Dist {
        let k = unit_scale;
        let d = match *self {
            EffortFile::Constant { value } => Dist::constant(value * k),
            EffortFile::Uniform { min, max } => Dist::uniform(min * k, max * k),
            EffortFile::Triangular { min, mode, max } => {
                Dist::triangular(min * k, mode * k, max * k)
            }
            EffortFile::Exponential { mean } => Dist::exponential(mean * k),
            EffortFile::Lognormal { mean, sd } => Dist::lognormal(mean * k, sd * k),
            EffortFile::Gamma { shape, mean } => Dist::gamma(shape, mean * k),
            EffortFile::Erlang { k: shape, mean } => Dist::gamma(shape as f64, mean * k),
            EffortFile::Empirical {
                ref values,
                ref file,
                ref column,
                scale,
            } => {
                let scale = scale.unwrap_or(1.0);
                if !(scale.is_finite() && scale > 0.0) {
                    ck.fail(
                        format!("{path}.scale"),
                        format!(
                            "the scale must be a positive number (got {scale}), e.g. scale = 0.8 \
                             for 20% less effort"
                        ),
                    );
                    return Dist::Constant(1.0);
                }
                let observed = match (values, file) {
                    (Some(v), None) if column.is_none() => Ok(v.clone()),
                    (None, Some(f)) => {
                        let p = data::resolve(ck.base(), f);
                        match column {
                            Some(c) => {
                                let read = data::read_hours(&p, c);
                                if read.is_ok() {
                                    ck.read_data_file(f, &p);
                                }
                                read
                            }
                            None => Err(format!(
                                "a file needs the column of hours to read, e.g. column = \
                                 \"{}\"",
                                path.rsplit('.').nth(1).unwrap_or("hours")
                            )),
                        }
                    }
                    _ => Err(
                        "an empirical distribution takes either values = [...] or file \
                         and column, e.g. values = [3, 5, 8] or file = \"data/history.csv\", \
                         column = \"dev_hours\""
                            .into(),
                    ),
                };
                match observed {
                    Ok(v) => {
                        let scaled: Vec<f64> = v.iter().map(|x| x * k * scale).collect();
                        Dist::empirical(&scaled)
                    }
                    Err(e) => {
                        ck.fail(path, format!("{e}."));
                        return Dist::Constant(1.0);
                    }
                }
            }
        };
        d.unwrap_or_else(|e| {
            ck.fail(path, format!("these parameters cannot hold: {e}."));
            Dist::Constant(1.0)
        })
    }
}
