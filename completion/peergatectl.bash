# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for peergatectl.  The commands, actions and options are
# read from the binary's own --help, so they always match the installed
# version.

_peergatectl()
{
	local cur prev cmd words_help actions opts
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local bin=${COMP_WORDS[0]}

	if [ "$COMP_CWORD" -eq 1 ]; then
		local cmds
		cmds=$("$bin" --help 2>/dev/null | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
		mapfile -t COMPREPLY < <(compgen -W "$cmds help version --help --version" -- "$cur")
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	--policy|-p)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--systems|-d)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--socket|-s)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
		;;
	--watch)
		# SECONDS is optional: offer a few, and the options after a dash
		if [[ $cur != -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "1 2 5 10" -- "$cur")
			return 0
		fi
		;;
	--interface|-i)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
		return 0
		;;
	--count|-c|--duration|-d)
		return 0
		;;
	esac
	words_help=$("$bin" "$cmd" --help 2>/dev/null)
	opts=$(printf '%s\n' "$words_help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
	# actions: the word after "peergatectl CMD" in the usage lines (rules)
	actions=$(printf '%s\n' "$words_help" |
		sed -n "s/^\(Usage:\)\{0,1\} *peergatectl $cmd \([a-z][a-z]*\).*/\2/p" | sort -u)
	if [ -n "$actions" ] && [ "$COMP_CWORD" -eq 2 ]; then
		mapfile -t COMPREPLY < <(compgen -W "$actions" -- "$cur")
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return 0
	fi
	case $cmd in
	check|classify)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		;;
	esac
	return 0
}
complete -F _peergatectl peergatectl
