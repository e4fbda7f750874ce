//! Unit tests of target parsing and resolution.

use super::*;

fn parse(text: &str) -> Target {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn parse_err(text: &str) -> String {
    text.parse::<Target>().unwrap_err().to_string()
}

#[test]
fn parses_every_form() {
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(parse("head"), Target::Head { branch: None });
    assert_eq!(parse("heads"), Target::Heads { branch: None });
    assert_eq!(parse("base"), Target::Base { branch: None });
    assert_eq!(
        parse("feat@head"),
        Target::Head {
            branch: some("feat")
        }
    );
    assert_eq!(
        parse("feat@heads"),
        Target::Heads {
            branch: some("feat")
        }
    );
    assert_eq!(
        parse("feat@base"),
        Target::Base {
            branch: some("feat")
        }
    );
    assert_eq!(
        parse("ae1027"),
        Target::Revision {
            branch: None,
            name: "ae1027".into()
        }
    );
    assert_eq!(
        parse("feat@ae1027"),
        Target::Revision {
            branch: some("feat"),
            name: "ae1027".into()
        }
    );
    assert_eq!(
        parse("+2"),
        Target::Relative {
            branch: None,
            anchor: None,
            steps: 2
        }
    );
    assert_eq!(
        parse("-1"),
        Target::Relative {
            branch: None,
            anchor: None,
            steps: -1
        }
    );
    assert_eq!(
        parse("feat@+1"),
        Target::Relative {
            branch: some("feat"),
            anchor: None,
            steps: 1
        }
    );
    assert_eq!(
        parse("ae10+3"),
        Target::Relative {
            branch: None,
            anchor: some("ae10"),
            steps: 3
        }
    );
    assert_eq!(
        parse("head-1"),
        Target::Relative {
            branch: None,
            anchor: some("head"),
            steps: -1
        }
    );
    assert_eq!(
        parse("feat@head-2"),
        Target::Relative {
            branch: some("feat"),
            anchor: some("head"),
            steps: -2
        }
    );
}

#[test]
fn display_round_trips() {
    for text in [
        "head", "heads", "base", "x@head", "x@heads", "x@base", "abc", "x@abc", "+1", "-3", "x@+2",
        "x@-1", "abc+1", "abc-2", "head-1", "base+1", "x@head-1",
    ] {
        assert_eq!(parse(text).to_string(), text);
    }
}

#[test]
fn rejects_malformed_targets_with_reasons() {
    assert_eq!(parse_err(""), "invalid target '': the target is empty");
    assert_eq!(
        parse_err("@head"),
        "invalid target '@head': nothing before '@'; write <branch>@<revision>"
    );
    assert_eq!(
        parse_err("x@"),
        "invalid target 'x@': nothing after '@'; write <branch>@head, <branch>@base or <branch>@<revision>"
    );
    assert_eq!(
        parse_err("a@b@c"),
        "invalid target 'a@b@c': more than one '@'"
    );
    assert_eq!(
        parse_err("+"),
        "invalid target '+': a relative target is [<revision>](+|-)<number>, e.g. +1, -2, head-1"
    );
    assert_eq!(
        parse_err("a+1b"),
        "invalid target 'a+1b': a relative target is [<revision>](+|-)<number>, e.g. +1, -2, head-1"
    );
    assert_eq!(
        parse_err("+0"),
        "invalid target '+0': the step count must be at least 1"
    );
    assert_eq!(
        parse_err("+99999999999999999999"),
        "invalid target '+99999999999999999999': the step count is too large"
    );
    assert_eq!(
        parse_err("a b"),
        "invalid target 'a b': revision id 'a b' contains \" \"; only ASCII letters, digits and '_' are allowed"
    );
    assert_eq!(
        parse_err("x y@head"),
        "invalid target 'x y@head': bad branch: branch label 'x y' contains \" \"; only ASCII letters, digits and '_' are allowed"
    );
}
