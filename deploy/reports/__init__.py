"""The business report: `ecom report` and the weekly-report flow write it under the lake's
`reports/<from>_<to>/` (report.pdf, its Markdown source report.md, charts/*.png and
report.json). Modules load matplotlib; import them where a report is made, not at start-up."""
