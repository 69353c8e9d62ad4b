#!/bin/sh
# Writes libreoffice.xlsx from libreoffice.fods with LibreOffice (Debian
# libreoffice-calc), so that the reader is tested on a workbook that this
# package did not write: merged header cells over two rows, a formula
# column (cached results), a date column, text-formatted codes with leading
# zeros, a number format with thousands separators, Vietnamese text, empty
# formatted rows and columns after the data, and a second sheet whose
# formula gives #N/A. Run once from this directory; the result is
# committed (CI does not need LibreOffice).
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
soffice --headless -env:UserInstallation=file://"$tmp"/profile \
	--convert-to xlsx:"Calc MS Excel 2007 XML" --outdir "$tmp" libreoffice.fods >/dev/null
cp "$tmp"/libreoffice.xlsx libreoffice.xlsx
soffice --version 2>/dev/null | head -1 > libreoffice.version
