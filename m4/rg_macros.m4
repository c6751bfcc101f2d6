# RG_CHECK_CFLAG(FLAG, VAR, [ACTION-IF-NOT-SUPPORTED])
# Appends FLAG to VAR when the C compiler accepts it (with -Werror, so a flag
# that only produces a warning counts as unsupported).
AC_DEFUN([RG_CHECK_CFLAG], [
	AS_VAR_PUSHDEF([rg_cv], [rg_cv_cflag_$1])
	AC_CACHE_CHECK([whether $CC accepts $1], [rg_cv], [
		rg_save_CFLAGS=$CFLAGS
		CFLAGS="$CFLAGS -Werror $1"
		AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
			[AS_VAR_SET([rg_cv], [yes])], [AS_VAR_SET([rg_cv], [no])])
		CFLAGS=$rg_save_CFLAGS
	])
	AS_VAR_IF([rg_cv], [yes], [$2="$$2 $1"], [$3])
	AS_VAR_POPDEF([rg_cv])
])

# RG_REQUIRE_PKG(VARIABLE-PREFIX, MODULES, DEBIAN-PACKAGE)
# A required pkg-config module; its absence fails configure and names the
# Debian package that provides it.
AC_DEFUN([RG_REQUIRE_PKG], [
	PKG_CHECK_MODULES([$1], [$2], [],
		[AC_MSG_ERROR([$2 not found: install the Debian package '$3' (apt-get install $3)])])
])
