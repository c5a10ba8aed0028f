# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for peergated.  The options are read from the binary's
# own --help, so they always match the installed version.

_peergated()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--policy|-p|--socket|-s)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--systems|-d)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--user|-u)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return 0
		;;
	--socket-group|-g)
		mapfile -t COMPREPLY < <(compgen -g -- "$cur")
		return 0
		;;
	--log-level)
		mapfile -t COMPREPLY < <(compgen -W "err warning notice info debug" -- "$cur")
		return 0
		;;
	--log-target)
		mapfile -t COMPREPLY < <(compgen -W "auto syslog stderr both" -- "$cur")
		return 0
		;;
	esac
	local opts
	opts=$("${COMP_WORDS[0]}" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
	mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	return 0
}
complete -F _peergated peergated
