"""Parsers: pure functions from a response body (and the instant it was fetched) to posts.

They never touch the network, the store or the clock: `now` is an argument. A body that does not
show the account's posts raises `ParseError` carrying the `Outcome` it proves, so a spider only
parses and the base spider turns the error into an honest observation.
"""
