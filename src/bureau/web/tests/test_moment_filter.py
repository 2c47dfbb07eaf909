from django.test import override_settings

from bureau.web.templatetags.moments import moment


@override_settings(TIME_ZONE="America/Chicago")
def test_an_iso_instant_reads_as_people_read_time():
    assert moment("2026-12-07T18:22:29.418955+00:00") == "2026-12-07 12:22 CST"


def test_what_is_not_an_instant_is_shown_as_it_is():
    assert moment("files not yet all deleted") == "files not yet all deleted"
    assert moment("2026-12-07") == "2026-12-07"  # a day, no zone: as written
    assert moment(None) == ""
