"""The monitoring domain: course facts from records, the rule set, evaluating and storing, the
worklist's values, review actions, rule changes, the digest and the loaders."""
