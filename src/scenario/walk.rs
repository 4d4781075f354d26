//! The walk over the parsed TOML that checks it against the schema before serde sees it.
//!
//! Why this exists: serde stops at the first problem and its messages name neither the field's
//! path nor what would be right. This walk visits the whole document, reports *every* unknown
//! key (with a "did you mean"), wrong type, missing field and out-of-range integer with its span
//! and dotted path, and prunes what it can (unknown keys, badly typed optional fields) so that
//! serde and the semantic checks can still run on the rest and report their problems in the
//! same message.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problems::suggest;
use super::schema::{Field, Ty};

/// A problem the walk found: a byte span, a path and a message.
pub(super) struct Found {
    pub span: std::ops::Range<usize>,
    pub path: String,
    pub message: String,
}

/// What the walk learnt about a document.
pub(super) struct Walk {
    /// Every problem, in visiting order.
    pub found: Vec<Found>,
    /// True when a problem could not be pruned away, so serde cannot build the structs.
    pub fatal: bool,
    /// Whether to report missing required fields (off when the text had syntax errors: the
    /// field may be on a line the parser could not read).
    pub report_missing: bool,
}

impl Walk {
    fn push(&mut self, span: std::ops::Range<usize>, path: &str, message: String) {
        self.found.push(Found {
            span,
            path: path.to_string(),
            message,
        });
    }
}

/// Walks the document against the top-level `fields`, pruning what can be pruned.
pub(super) fn check(
    doc: &mut Spanned<DeTable<'_>>,
    fields: &[Field],
    report_missing: bool,
) -> Walk {
    let mut w = Walk {
        found: Vec::new(),
        fatal: false,
        report_missing,
    };
    let span = doc.span();
    table(&mut w, doc.get_mut(), span, fields, "", "");
    w
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// What a TOML value is, for "found ..." messages.
fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => {
            let mut shown: String = s.chars().take(40).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("the string \"{}\"", shown.escape_debug())
        }
        DeValue::Integer(i) => format!("the whole number {i}"),
        DeValue::Float(f) => format!("the number {f}"),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date-time {d}"),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

fn expected(ty: &Ty) -> String {
    match ty {
        Ty::Str => "a string".into(),
        Ty::Enum(opts) => format!(
            "one of {}",
            opts.iter()
                .map(|o| format!("\"{o}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Ty::Float => "a number".into(),
        Ty::UInt(_) => "a whole number".into(),
        Ty::Bool => "true or false".into(),
        Ty::Table(_) | Ty::Tagged { .. } => "a table".into(),
        Ty::Map(_) => "a table of named entries".into(),
        Ty::Array(_) => "a list".into(),
    }
}

/// Parses a TOML integer's digits (any radix) as i128; `None` when out of even that range.
fn integer(i: &toml::de::DeInteger<'_>) -> Option<i128> {
    i128::from_str_radix(i.as_str(), i.radix()).ok()
}

/// Checks one value; returns false when it does not fit (the caller decides whether to prune).
fn value(w: &mut Walk, v: &mut Spanned<DeValue<'_>>, ty: &Ty, path: &str, hint: &str) -> bool {
    let span = v.span();
    let wrong = |w: &mut Walk, v: &DeValue<'_>| {
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!(" ({hint})")
        };
        w.push(
            span.clone(),
            path,
            format!(
                "expected {}{hint}, but found {}.",
                expected(ty),
                describe(v)
            ),
        );
        false
    };
    match (ty, v.get_mut()) {
        (Ty::Str, DeValue::String(_)) => true,
        (Ty::Enum(opts), DeValue::String(s)) => {
            if opts.contains(&s.as_ref()) {
                true
            } else {
                let s = s.to_string();
                w.push(
                    span,
                    path,
                    format!(
                        "\"{}\" is not a valid choice{}; use one of: {}.",
                        s.escape_debug(),
                        suggest(&s, opts),
                        opts.join(", ")
                    ),
                );
                false
            }
        }
        (Ty::Float, DeValue::Float(_)) => true,
        (Ty::Float, DeValue::Integer(i)) => match integer(i).and_then(|n| i64::try_from(n).ok()) {
            Some(_) => true,
            None => {
                let shown = i.to_string();
                w.push(
                    span,
                    path,
                    format!("{shown} is too large for a TOML integer; write it as a float (e.g. 1e20) if you really mean it."),
                );
                false
            }
        },
        (Ty::UInt(max), DeValue::Integer(i)) => match integer(i) {
            Some(n) if n >= 0 && n <= *max as i128 => true,
            Some(n) if n < 0 => {
                w.push(
                    span,
                    path,
                    format!("must be a whole number 0 or more; got {n}."),
                );
                false
            }
            _ => {
                let shown = i.to_string();
                w.push(
                    span,
                    path,
                    format!("{shown} is too large; the most this field can hold is {max}."),
                );
                false
            }
        },
        (Ty::UInt(_), DeValue::Float(f)) => {
            let shown = f.to_string();
            w.push(
                span,
                path,
                format!("must be a whole number without a decimal point ({hint}); got {shown}."),
            );
            false
        }
        (Ty::Bool, DeValue::Boolean(_)) => true,
        (Ty::Table(fields), DeValue::Table(t)) => table(w, t, span, fields, path, path),
        (Ty::Map(inner), DeValue::Table(t)) => {
            let mut ok = true;
            for (k, item) in t.iter_mut() {
                let p = join(path, k.get_ref());
                // Map values cannot be pruned: a missing role or skill changes the meaning.
                if !value(w, item, inner, &p, "") {
                    w.fatal = true;
                    ok = false;
                }
            }
            ok
        }
        (Ty::Array(inner), DeValue::Array(a)) => {
            let mut ok = true;
            for (i, item) in a.iter_mut().enumerate() {
                if !value(w, item, inner, &format!("{path}[{i}]"), "") {
                    w.fatal = true;
                    ok = false;
                }
            }
            ok
        }
        (Ty::Tagged { tag, variants }, DeValue::Table(t)) => {
            tagged(w, t, span, tag, variants, path)
        }
        (_, other) => wrong(w, other),
    }
}

fn tagged(
    w: &mut Walk,
    t: &mut DeTable<'_>,
    span: std::ops::Range<usize>,
    tag: &'static str,
    variants: &[(&str, &[Field])],
    path: &str,
) -> bool {
    let names: Vec<&str> = variants.iter().map(|(n, _)| *n).collect();
    let Some((_, tv)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == tag) else {
        w.push(
            span,
            path,
            format!(
                "needs `{tag}` to say which distribution it is: one of {}.",
                names.join(", ")
            ),
        );
        w.fatal = true;
        return false;
    };
    let tv_span = tv.span();
    let Some(chosen) = tv.get_ref().as_str().map(str::to_string) else {
        let found = describe(tv.get_ref());
        w.push(
            tv_span,
            &join(path, tag),
            format!(
                "expected the name of a distribution ({}), but found {found}.",
                names.join(", ")
            ),
        );
        w.fatal = true;
        return false;
    };
    let Some((_, fields)) = variants.iter().find(|(n, _)| *n == chosen) else {
        w.push(
            tv_span,
            &join(path, tag),
            format!(
                "\"{}\" is not a distribution flowsim knows{}; use one of: {}.",
                chosen.escape_debug(),
                suggest(&chosen, &names),
                names.join(", ")
            ),
        );
        w.fatal = true;
        return false;
    };
    // Check the variant's fields; the tag itself is a known key.
    let tag_field = Field {
        name: tag,
        ty: Ty::Str,
        required: true,
        hint: "",
    };
    let with_tag: Vec<&Field> = std::iter::once(&tag_field).chain(fields.iter()).collect();
    let ok = fields_of(
        w,
        t,
        span,
        &with_tag,
        path,
        &format!("a {chosen} distribution"),
    );
    if !ok {
        // Effort is required and its parameters too: nothing to fall back on.
        w.fatal = true;
    }
    ok
}

fn table(
    w: &mut Walk,
    t: &mut DeTable<'_>,
    span: std::ops::Range<usize>,
    fields: &[Field],
    path: &str,
    what: &str,
) -> bool {
    let refs: Vec<&Field> = fields.iter().collect();
    let what = if what.is_empty() {
        "the top level".to_string()
    } else if what.contains('[') {
        format!("`{what}`")
    } else {
        format!("[{what}]")
    };
    fields_of(w, t, span, &refs, path, &what)
}

/// Checks a table's keys against `fields`: unknown keys, missing required fields, and each
/// value's type. Unknown keys and badly typed optional fields are removed from the table.
fn fields_of(
    w: &mut Walk,
    t: &mut DeTable<'_>,
    span: std::ops::Range<usize>,
    fields: &[&Field],
    path: &str,
    what: &str,
) -> bool {
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let mut ok = true;
    let mut prune: Vec<String> = Vec::new();
    for (k, v) in t.iter_mut() {
        let key: &str = k.get_ref();
        let p = join(path, key);
        match fields.iter().find(|f| f.name == key) {
            None => {
                w.push(
                    k.span(),
                    &p,
                    format!(
                        "unknown field `{}` in {what}{}; valid fields here are: {}.",
                        key.escape_debug(),
                        suggest(key, &names),
                        names.join(", ")
                    ),
                );
                prune.push(key.to_string());
            }
            Some(f) => {
                if !value(w, v, &f.ty, &p, f.hint) {
                    if f.required {
                        w.fatal = true;
                        ok = false;
                    } else {
                        prune.push(key.to_string());
                    }
                }
            }
        }
    }
    for key in prune {
        t.remove(key.as_str());
    }
    for f in fields {
        if f.required && !t.contains_key(f.name) {
            w.fatal = true;
            ok = false;
            if w.report_missing {
                let p = join(path, f.name);
                w.push(
                    span.clone(),
                    &p,
                    format!("{what} needs the field `{}`: {}.", f.name, f.hint),
                );
            }
        }
    }
    ok
}
