# ivr_fake.tcl -- a fake Cisco Tcl IVR 2.0 runtime for tclsh.
#
# Each call runs the unchanged application script in a fresh child
# interpreter whose IVR commands (fsm, leg, media, aaa, infotag, timer,
# connection, call, param, requiredversion, puts) are aliases into this
# namespace.  Every command the script issues is recorded; a test then
# delivers events (with their status, digits, legs and AAA replies) one by
# one, advances a virtual clock to fire named timers, and compares the
# recorded commands with what it expected.
#
# Like IOS, the fake is strict: an info-tag read outside the event that
# defines it, an unknown subcommand or a wrong argument count is a script
# error, and so is anything the script does after "call close".

namespace eval ivr {
    # The script under test; DEBITCARD_SCRIPT points elsewhere (mutation runs).
    variable script [file normalize [file join [file dirname [info script]] .. debitcard.tcl]]
    if {[info exists ::env(DEBITCARD_SCRIPT)]} {
        set script [file normalize $::env(DEBITCARD_SCRIPT)]
    }

    variable child ""      ;# interpreter running the script for this call
    variable actions {}    ;# commands issued since the last [ivr::take]
    variable trace {}      ;# everything: commands, info-tag reads, events
    variable fsm           ;# the script's state table, read at "fsm define"
    variable state ""
    variable next_state "" ;# set by "fsm setstate" during an action
    variable event {}      ;# attributes of the event being handled
    variable reply {}      ;# AV pairs of the last AAA reply
    variable cfg {}        ;# configured parameters (cfg_avpair)
    variable call {}       ;# ani, dnis, incoming/outgoing leg ids
    variable timers {}     ;# name -> due time, for running named timers
    variable now 0
    variable closed 0

    variable recorded {leg media aaa timer connection call param}

    # AV pair names aaa_avpair accepts: the h323 reply VSAs, and the name
    # under which the fake exposes RADIUS Session-Timeout.  IOS stops a
    # script that asks for a name it does not know; so does the fake.
    variable avpair_names {
        h323-credit-amount h323-credit-time h323-return-code h323-prompt-id
        h323-time-and-day h323-redirect-number h323-preferred-lang
        h323-redirect-ip-address h323-billing-model h323-currency
        session-timeout
        radbill-route-1 radbill-route-2 radbill-route-3 radbill-route-4 radbill-route-5
    }
}

# Start a new call: a fresh interpreter with the script loaded.  Returns the
# commands the script issued while loading; records nothing else yet.
# Options: -ani, -dnis, -cfg {name value ...} (the configured params).
proc ivr::new_call { args } {
    variable child
    array set opt {-ani 5550100 -dnis 18005551000 -cfg {}}
    array set opt $args
    if {$child ne ""} {
        interp delete $child
    }
    foreach var {actions trace timers event reply} {
        set ::ivr::$var {}
    }
    variable cfg $opt(-cfg)
    variable call [dict create ani $opt(-ani) dnis $opt(-dnis) incoming 1 outgoing "" next_leg 2]
    variable state ""
    variable now 0
    variable closed 0
    array unset ::ivr::fsm

    set child [interp create]
    foreach cmd {fsm leg media aaa infotag timer connection call param requiredversion puts} {
        interp alias $child $cmd {} ::ivr::cmd_$cmd
    }
    $child eval [list source $::ivr::script]
    return [take]
}

# Commands recorded since the last take, then forget them.
proc ivr::take { } {
    variable actions
    set result $actions
    set actions {}
    return $result
}

proc ivr::state { } { return $::ivr::state }
proc ivr::closed { } { return $::ivr::closed }
proc ivr::now { } { return $::ivr::now }
proc ivr::trace { } { return $::ivr::trace }

# The contents of one of the script's global arrays (e.g. callInfo).
proc ivr::array_of { name } {
    return [$::ivr::child eval [list array get $name]]
}

# Deliver one event.  Attributes: status, digits, legs, timer, avpairs.
proc ivr::deliver { name args } {
    variable state
    variable fsm
    variable closed
    variable next_state
    if {$closed} {
        error "event $name delivered after call close"
    }
    variable event [dict create name $name {*}$args]
    if {$name in {ev_authenticate_done ev_authorize_done}} {
        variable reply [expr {[dict exists $event avpairs] ? [dict get $event avpairs] : {}}]
    }
    if {$name eq "ev_setup_done" && [dict get $event status] ne "ls_000"} {
        dict set ::ivr::call outgoing ""
    }
    note "event $name $args (state $state)"

    set entry ""
    foreach key [list $state,$name any_state,$name $state,ev_any_event any_state,ev_any_event] {
        if {[info exists fsm($key)]} {
            set entry $fsm($key)
            break
        }
    }
    if {$entry eq ""} {
        note "  ignored in $state"
        return
    }
    # IOS accepts "action NEXT" and "action,NEXT".
    set entry [string map {, " "} $entry]
    set action [lindex $entry 0]
    set next [lindex $entry end]
    set next_state ""
    $::ivr::child eval $action
    if {$next_state ne ""} {
        set state $next_state
    } elseif {$next ne "same_state"} {
        set state $next
    }
    note "  -> $state"
}

# Let the virtual clock run; named timers that fall due fire in order.
proc ivr::advance { seconds } {
    variable now
    variable timers
    set until [expr {$now + $seconds}]
    while {1} {
        set due ""
        dict for {name at} $timers {
            if {$at <= $until && ($due eq "" || $at < [dict get $timers $due])} {
                set due $name
            }
        }
        if {$due eq ""} {
            break
        }
        set now [dict get $timers $due]
        dict unset timers $due
        deliver ev_named_timer timer $due
    }
    set now $until
}

# --- internals -------------------------------------------------------------

proc ivr::note { line } {
    lappend ::ivr::trace $line
}

proc ivr::record { args } {
    variable closed
    if {$closed} {
        error "\"$args\" after call close"
    }
    if {[lindex $args 0] in $::ivr::recorded} {
        lappend ::ivr::actions $args
    }
    note "  $args"
}

proc ivr::usage { cmd args } {
    error "wrong # args: should be \"$cmd $args\""
}

proc ivr::event_attr { tag attr } {
    variable event
    if {![dict exists $event $attr]} {
        error "info-tag $tag is not valid while handling [expr {[dict exists $event name] ? [dict get $event name] : {no event}}]"
    }
    return [dict get $event $attr]
}

proc ivr::known_avpair { name } {
    if {$name ni $::ivr::avpair_names} {
        error "aaa_avpair: unknown AV pair \"$name\""
    }
}

proc ivr::need_array { name } {
    if {![$::ivr::child eval [list array exists $name]]} {
        error "no such array \"$name\" in the script"
    }
}

proc ivr::leg_id { leg } {
    switch -- $leg {
        leg_incoming { return [dict get $::ivr::call incoming] }
        leg_outgoing {
            set id [dict get $::ivr::call outgoing]
            if {$id eq ""} {
                error "leg_outgoing: there is no outgoing leg"
            }
            return $id
        }
        default { return $leg }
    }
}

# --- the fake IVR 2.0 commands --------------------------------------------

proc ivr::cmd_requiredversion { version } {
    if {$version ne "2.0"} {
        error "this fake implements IVR 2.0, script wants $version"
    }
}

proc ivr::cmd_puts { args } {
    note "  puts [lindex $args end]"
}

proc ivr::cmd_fsm { sub args } {
    switch -- $sub {
        define {
            if {[llength $args] != 2} { usage "fsm define" arrayName initialState }
            lassign $args name initial
            need_array $name
            array set ::ivr::fsm [$::ivr::child eval [list array get $name]]
            set ::ivr::state $initial
        }
        setstate {
            if {[llength $args] != 1} { usage "fsm setstate" state }
            set ::ivr::next_state [lindex $args 0]
        }
        default { error "unknown fsm subcommand $sub" }
    }
    note "  fsm $sub $args"
}

proc ivr::cmd_leg { sub args } {
    switch -- $sub {
        setupack - proceeding - connect {
            if {[llength $args] != 1} { usage "leg $sub" legID }
            leg_id [lindex $args 0]
        }
        collectdigits {
            if {[llength $args] < 1 || [llength $args] > 3} { usage "leg collectdigits" legID ?params? ?patterns? }
            foreach name [lrange $args 1 end] { need_array $name }
        }
        setup {
            if {[llength $args] < 2} { usage "leg setup" destination callinfo ?legID? }
            need_array [lindex $args 1]
            dict set ::ivr::call outgoing [dict get $::ivr::call next_leg]
            dict incr ::ivr::call next_leg
        }
        disconnect {
            if {[llength $args] < 1} { usage "leg disconnect" legID }
            leg_id [lindex $args 0]
        }
        default { error "unknown leg subcommand $sub" }
    }
    record leg $sub {*}$args
}

proc ivr::cmd_media { sub args } {
    if {$sub ne "play"} { error "unknown media subcommand $sub" }
    if {[llength $args] < 2} { usage "media play" legID url ?url ...? }
    leg_id [lindex $args 0]
    record media $sub {*}$args
}

proc ivr::cmd_aaa { sub args } {
    switch -- $sub {
        authenticate { if {[llength $args] != 2} { usage "aaa authenticate" account password } }
        authorize    { if {[llength $args] != 5} { usage "aaa authorize" account password ani destination legID } }
        default      { error "unknown aaa subcommand $sub" }
    }
    record aaa $sub {*}$args
}

proc ivr::cmd_timer { sub type args } {
    if {$type ne "named_timer"} { error "timer $sub: only named_timer is faked" }
    switch -- $sub {
        start {
            if {[llength $args] != 2} { usage "timer start named_timer" seconds name }
            lassign $args seconds name
            if {![string is integer -strict $seconds] || $seconds < 0} {
                error "timer start: bad duration \"$seconds\""
            }
            dict set ::ivr::timers $name [expr {$::ivr::now + $seconds}]
        }
        stop {
            if {[llength $args] != 1} { usage "timer stop named_timer" name }
            dict unset ::ivr::timers [lindex $args 0]
        }
        default { error "unknown timer subcommand $sub" }
    }
    record timer $sub $type {*}$args
}

proc ivr::cmd_connection { sub args } {
    switch -- $sub {
        destroy { if {[llength $args] != 1} { usage "connection destroy" connectionID } }
        create  { if {[llength $args] != 2} { usage "connection create" legID1 legID2 } }
        default { error "unknown connection subcommand $sub" }
    }
    record connection $sub {*}$args
}

proc ivr::cmd_call { sub } {
    if {$sub ne "close"} { error "unknown call subcommand $sub" }
    record call close
    set ::ivr::closed 1
    set ::ivr::timers {}
}

proc ivr::cmd_param { sub args } {
    if {$sub ne "register"} { error "unknown param subcommand $sub" }
    if {[llength $args] != 4} { usage "param register" name description default type }
    record param register {*}$args
}

proc ivr::cmd_infotag { sub tag args } {
    if {$sub ne "get"} { error "infotag $sub is not faked" }
    note "  infotag get $tag $args"
    set value [infotag_value $tag {*}$args]
    note "    => $value"
    return $value
}

proc ivr::infotag_value { tag args } {
    variable reply
    variable cfg
    switch -- $tag {
        evt_status     { return [event_attr $tag status] }
        evt_dcdigits   { return [event_attr $tag digits] }
        evt_legs       { return [event_attr $tag legs] }
        evt_timer_name { return [event_attr $tag timer] }
        aaa_avpair_exists {
            set name [lindex $args 0]
            known_avpair $name
            return [dict exists $reply $name]
        }
        aaa_avpair {
            set name [lindex $args 0]
            known_avpair $name
            if {![dict exists $reply $name]} {
                error "aaa_avpair $name: not in the last AAA reply"
            }
            return [dict get $reply $name]
        }
        cfg_avpair_exists { return [dict exists $cfg [lindex $args 0]] }
        cfg_avpair {
            set name [lindex $args 0]
            if {![dict exists $cfg $name]} {
                error "cfg_avpair $name: not configured"
            }
            return [dict get $cfg $name]
        }
        leg_ani      { return [dict get $::ivr::call ani] }
        leg_dnis     { return [dict get $::ivr::call dnis] }
        leg_incoming { return [leg_id leg_incoming] }
        leg_outgoing { return [leg_id leg_outgoing] }
        default      { error "info-tag $tag is not faked" }
    }
}
