#!/usr/bin/perl
# Doxygen INPUT_FILTER for triad's headers (docs/Doxyfile.in): turns the plain `//` comments
# that the headers use into documentation, line for line (so Doxygen's line numbers stay right).
#
# - The comment that opens a file (before any code) documents the file (\file).
# - A run of full-line `//` comments directly above a declaration at namespace or class scope
#   documents that declaration (it becomes `///`). Comments followed by a blank line, inside
#   function bodies, before access specifiers or closing braces stay plain comments.
# - Inside a documentation comment, an indented run (two or more extra spaces) that follows an
#   empty comment line or a line ending in ':' is an example: it becomes a \code block. Indented
#   lines that continue a list item or a sentence stay prose.
# - Prose is plain text, not Doxygen markup: \ @ < > & # $ are escaped outside `code spans`,
#   so a header comment can only break the reference through a real problem (an unbalanced
#   code span, a symbol documented twice, ...), never through an innocent character.
use strict;
use warnings;

my @lines = <>;
my @out = @lines;
my @scopes;           # 1 = namespace/class-like scope, 0 = code (function body, initializer)
my $statement = '';   # code text since the last ; { or }
my $seen_code = 0;
my $in_macro = 0;
my $hiding = 0;       # brace depth of a detail:: definition being blanked

sub at_scope { return !grep { !$_ } @scopes; }

sub escape_prose {
  my ($text) = @_;
  my @parts = split /(`[^`]*`)/, $text;
  for my $p (@parts) {
    next if $p =~ /^`/;
    $p =~ s/([\\@<>&#\$%*])/\\$1/g;
    $p =~ s/(?<![\w>])::/\\::/g;             # ::name (global) is not in this reference
    $p =~ s/>::/>\\::/g;                       # nor Template<T>::name (Doxygen cannot link it)
    $p =~ s/(?<!\w)_/\\_/g;                   # _name is not emphasis
  }
  return join '', @parts;
}

# Rewrites comment lines [$from, $to] as a documentation block.
sub document {
  my ($from, $to, $is_file) = @_;
  my $in_code = 0;
  my $in_list = 0;
  my $prev = '';     # text of the previous comment line
  my $heading = 0;   # the previous line is a short title on its own ("Python <-> triad")
  for my $i ($from .. $to) {
    my ($indent, $text) = $lines[$i] =~ m{^(\s*)//+ ?(.*?)\s*$};
    my $line;
    if ($text eq '') {
      $line = $in_code ? '\endcode' : '';
      $in_code = 0;
      $in_list = 0;
    } elsif ($text =~ /^\s{2,}\S/
             && ($in_code || (!$in_list && ($prev eq '' || $prev =~ /:$/ || $heading)))) {
      $line = $in_code ? $text : '\code ' . $text;
      $in_code = 1;
    } else {
      $line = ($in_code ? '\endcode ' : '') . escape_prose($text);
      $in_code = 0;
      $in_list = 1 if $text =~ /^(?:[-*+]|\d+\.)\s/;
    }
    $line .= ' \file' if $is_file && $i == $from;
    $line .= ' \endcode' if $in_code && $i == $to;
    $out[$i] = "$indent/// $line\n";
    $heading = $prev eq '' && $text =~ /^\S/ && length($text) < 50 && $text !~ /[.,;:]$/;
    $prev = $text;
  }
}

my $i = 0;
while ($i < @lines) {
  my $l = $lines[$i];
  if ($l =~ m{^\s*//}) {
    my $start = $i;
    $i++ while $i < @lines && $lines[$i] =~ m{^\s*//};
    my $next = $i < @lines ? $lines[$i] : '';
    if (!$seen_code) {
      document($start, $i - 1, 1);
      $seen_code = 1;   # only the first comment documents the file
    } elsif (at_scope() && $next =~ /\S/ && $next !~ m%^\s*(?:#\s*(?!define)|\}|(?:public|private|protected)\s*:)%) {
      document($start, $i - 1, 0);
    }
    next;
  }
  if ($in_macro || $l =~ /^\s*#/) {   # preprocessor lines (and their continuations)
    $in_macro = ($l =~ /\\\s*$/);
    $seen_code = 1 if $l =~ /\S/;
    $i++;
    next;
  }
  $seen_code = 1 if $l =~ /\S/;
  # An out-of-line definition of a detail:: member (implementation, excluded from the
  # reference) is blanked: Doxygen would look for its class and warn.
  if ($hiding || (at_scope() && $l =~ /^[\w\s:<>,&*]*\bdetail::\w+(?:<[^>]*>)?::~?\w+\s*\(/)) {
    my $opens = () = $l =~ /\{/g;
    my $closes = () = $l =~ /\}/g;
    $hiding += $opens - $closes;
    $hiding = 0 if $hiding < 0;
    $out[$i] = "\n";
    $i++;
    next;
  }
  my $code = $l;
  $code =~ s{//.*$}{};
  $code =~ s{/\*.*?\*/}{}g;
  $code =~ s{"(?:[^"\\]|\\.)*"}{""}g;
  $code =~ s{'(?:[^'\\]|\\.)*'}{''}g;
  for my $c (split //, $code) {
    if ($c eq '{') {
      my $s = $statement;
      $s =~ s/\[\[.*?\]\]//g;
      if ($s =~ s/^\s*template\s*<//) {   # drop the template parameter list, <...> nested
        my $depth = 1;
        while ($depth > 0 && $s =~ s/^([^<>]*)([<>])//) { $depth += $2 eq '<' ? 1 : -1; }
      }
      $s =~ s/^\s*requires\b[^{]*?(?=\b(?:class|struct|union)\b)//;
      push @scopes, ($s =~ /^\s*(?:(?:inline\s+)?namespace|class|struct|union|enum|extern\s*"")\b/s) ? 1 : 0;
      $statement = '';
    } elsif ($c eq '}') {
      pop @scopes;
      $statement = '';
    } elsif ($c eq ';') {
      $statement = '';
    } else {
      $statement .= $c;
    }
  }
  $statement .= ' ';
  $i++;
}
print @out;
