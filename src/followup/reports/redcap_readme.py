"""The README written beside a REDCap export: how a REDCap user builds the project from the files
and brings data back, in REDCap's own menu names."""

README = """\
followup -> REDCap: knee assessments
====================================

These files build a longitudinal REDCap project for followup's WOMAC-style knee
assessments and fill it. Upload them as they are; no column needs editing.

  data_dictionary.csv          the instrument "knee_assessment" (record_id = patient ID)
  events.csv                   one event per follow-up timepoint, plus Baseline and
                               Unscheduled (day offsets and windows in days)
  instrument_designations.csv  the instrument in every event
  repeating_instruments.csv    the instrument repeating in every event (API format)
  records.csv                  one row per assessment

Build the project (a new project, in Development status)
--------------------------------------------------------
1. Project Setup: "Use longitudinal data collection with defined events?" -> Enable.
2. Project Setup -> Data Dictionary: upload data_dictionary.csv.
3. Project Setup -> Define My Events -> "Upload or download arms/events" ->
   "Upload events (CSV)": events.csv. Then delete the default "Event 1" (it holds no
   data in a new project).
4. Project Setup -> Designate Instruments for My Events -> "Upload or download
   instrument mappings" -> "Upload instrument-event mappings (CSV)":
   instrument_designations.csv.
5. Project Setup -> "Repeating instruments and events" -> Enable. For every event
   choose "Repeat Instruments (repeat independently of each other)" and tick
   "Knee Assessment", then Save. (With the API: "Import Repeating Instruments and
   Events" with repeating_instruments.csv.) A patient can have both knees assessed at
   one event, so each form is one instance: redcap_repeat_instance numbers a patient's
   forms within an event.
6. Applications -> Data Import Tool: format CSV, date format YYYY-MM-DD, upload
   records.csv.

What the fields mean
--------------------
record_id      followup's patient ID (one REDCap record per patient)
knee           left or right: each form is about one knee
assessed_on    the day the patient gave the answers
source         phone, self_report, clinic or paper
treatment_id   the treatment whose follow-up the form belongs to (set by followup;
               leave empty on new forms)
p1-p5, s1-s2, f1-f17   the 24 items, 0 None .. 4 Extreme (empty = not answered)
pain_nrs, global, adverse_event, note   the optional extras

Events: a form is in the event of the follow-up window it falls in (counted from the
knee's treatment before it), in Baseline when it falls in the look-back before the
knee's next treatment, otherwise in Unscheduled.

Back into followup
------------------
Data Exports, Reports, and Stats -> "All data (all records and fields)" -> Export Data
-> "CSV / Microsoft Excel (raw data)", then:

    followup import assessments --format redcap THE_EXPORTED_FILE.csv

followup checks every cell and row as it checks its own assessments.csv (the patients
must be known to followup; forms already in followup are refused as duplicates) and
imports nothing if anything is wrong, naming the file, line and column. Event names are
read as REDCap wrote them; followup works out each form's place again from its knee
and date.
"""
