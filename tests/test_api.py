import inspect

import newsdesk
from newsdesk import errors


def test_public_api_is_exactly_all() -> None:
    assert sorted(newsdesk.__all__) == [
        "Article",
        "Block",
        "Boilerplate",
        "BoilerplateCounter",
        "CleanError",
        "Embed",
        "ExtractOptions",
        "ExtractionError",
        "FeedEntry",
        "Link",
        "NewsdeskError",
        "ParsedFeed",
        "Provenance",
        "Quote",
        "Removed",
        "__version__",
        "article_from_dict",
        "article_from_json",
        "article_to_dict",
        "article_to_json",
        "clean_text",
        "extract",
        "parse_feed",
    ]
    for name in newsdesk.__all__:
        assert hasattr(newsdesk, name), name


def test_extract_signature_has_at_most_two_positionals() -> None:
    params = inspect.signature(newsdesk.extract).parameters
    assert list(params) == ["html", "url", "options"]
    assert params["options"].kind is inspect.Parameter.KEYWORD_ONLY
    params = inspect.signature(newsdesk.clean_text).parameters
    assert list(params) == ["text", "url", "source", "boilerplate"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(params.values())[1:])
    assert list(inspect.signature(newsdesk.parse_feed).parameters) == ["body", "url"]


def test_every_error_has_a_kind_from_the_fixed_set() -> None:
    classes = [
        getattr(errors, name)
        for name in errors.__all__
        if name.endswith("Error")
        or name in ("FetchTimeout", "RobotsDisallowed", "TooManyRedirects")
    ]
    kinds = {c.kind for c in classes if hasattr(c, "kind")}
    assert kinds and kinds <= set(errors.ERROR_KINDS)
    assert {
        errors.FetchTimeout.kind,
        errors.TooLargeError.kind,
        errors.BlockedError.kind,
        errors.RobotsDisallowed.kind,
        errors.TooManyRedirects.kind,
    } == {"timeout", "too_large", "blocked", "robots", "redirects"}
