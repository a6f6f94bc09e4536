// Durations written as pandas' Timedelta strings, for sel's "tolerance" on a time
// coordinate (ds.sel(time=..., method="nearest", tolerance="2h")).
//
// Accepted: one or more "<number><unit>" terms, spaces and a comma allowed between them
// ("2h", "1.5 hours", "1h30min", "2 days"), optionally followed by a clock "HH:MM:SS(.f)"
// ("1 days 02:00:00", "02:00:00"). Units as pandas spells them: W/w; D/d/day/days;
// h/H/hr/hour/hours; m/T/min/minute/minutes; s/S/sec/second/seconds;
// ms/L/milli/millis/millisecond(s); us/U/micro/micros/microsecond(s); ns/N/nano/nanos/
// nanosecond(s). Example: "1 days 02:00:00" -> 93600 seconds.
#pragma once

#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::transform {

/// The duration in seconds. Errors (kUsage) quote the text: empty, a unit pandas does not
/// know or knows only as ambiguous ("M", "Y": months and years have no fixed length), a
/// number without a unit (other than a clock), a malformed clock, or a negative duration.
Result<double> parse_timedelta_seconds(std::string_view text);

}  // namespace zpmpi::transform
