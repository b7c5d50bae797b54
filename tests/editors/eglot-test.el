;;; eglot-test.el --- nixpilot through eglot and Flymake, headless  -*- lexical-binding: t; -*-

;; Run by tests/editors.rs as `emacs --batch -q -l eglot-test.el' with `nixpilot' first on
;; PATH, NIXPILOT_EMACS_DIR = editors/emacs and NIXPILOT_FILE = a copy of the broken
;; fixture's hosts/web1/configuration.nix.  Prints what it sees; exits 1 on a failed check.

(defun nixpilot-test--say (fmt &rest args)
  (princ (concat (apply #'format fmt args) "\n")))

(defun nixpilot-test--fail (fmt &rest args)
  (nixpilot-test--say "FAIL: %s" (apply #'format fmt args))
  (kill-emacs 1))

(defun nixpilot-test--wait (what seconds pred)
  "Let timers and process output run until PRED holds, else fail naming WHAT."
  (let ((deadline (+ (float-time) seconds)))
    (while (not (funcall pred))
      (when (> (float-time) deadline)
        (nixpilot-test--fail "timed out after %ss waiting for %s" seconds what))
      ;; What an idle editor does between commands.
      (run-hooks 'post-command-hook)
      (accept-process-output nil 0.1))))

(defun nixpilot-test--diagnostics ()
  "Flymake's diagnostics in this buffer as (CODE TEXT BEG) lists."
  (mapcar (lambda (d)
            (list (plist-get (cdr (assq 'eglot-lsp-diag (flymake-diagnostic-data d))) :code)
                  (flymake-diagnostic-text d)
                  (flymake-diagnostic-beg d)))
          (flymake-diagnostics)))

(condition-case err
    (progn
      (package-initialize)                  ; Debian's elpa-eglot, when not built in
      (require 'eglot)
      (require 'flymake)
      (require 'cl-lib)
      (nixpilot-test--say "emacs %s, eglot from %s" emacs-version (locate-library "eglot"))
      (add-to-list 'load-path (getenv "NIXPILOT_EMACS_DIR"))
      (require 'nixpilot)
      ;; nix-mode comes from MELPA; Debian has none, so a stand-in with the same name.
      (unless (fboundp 'nix-mode)
        (define-derived-mode nix-mode prog-mode "Nix"))
      (add-to-list 'auto-mode-alist '("\\.nix\\'" . nix-mode))
      ;; The setup editors/README.md tells users to write, with its settings example.
      (add-hook 'nix-mode-hook #'eglot-ensure)
      (setq-default eglot-workspace-configuration
                    '(:nixpilot (:rules (:unused-let-binding "error"))))
      (find-file (getenv "NIXPILOT_FILE"))
      (unless (eq major-mode 'nix-mode)
        (nixpilot-test--fail "major mode is %s" major-mode))
      (nixpilot-test--wait "eglot to connect" 30 (lambda () (eglot-current-server)))
      (let ((server (eglot-current-server)))
        (nixpilot-test--say "server: %s" (process-command (jsonrpc--process server))))
      (nixpilot-test--wait
       "Flymake diagnostics with codes unused-let-binding and unused-suppression" 60
       (lambda ()
         (let ((codes (mapcar #'car (nixpilot-test--diagnostics))))
           (and (member "unused-let-binding" codes) (member "unused-suppression" codes)))))
      ;; The setting reaches the server: a warning by default, an error now.
      (nixpilot-test--wait
       "unused-let-binding at severity error (from eglot-workspace-configuration)" 30
       (lambda ()
         (cl-some (lambda (d)
                    (and (equal (plist-get (cdr (assq 'eglot-lsp-diag (flymake-diagnostic-data d))) :code)
                                "unused-let-binding")
                         (eq (flymake-diagnostic-type d) 'eglot-error)))
                  (flymake-diagnostics))))
      (nixpilot-test--say "severity of unused-let-binding: error")
      (dolist (d (nixpilot-test--diagnostics))
        (nixpilot-test--say "diagnostic: line %d: %s"
                            (line-number-at-pos (nth 2 d)) (nth 1 d)))
      (let ((unused (cl-find-if (lambda (d) (and (equal (car d) "unused-let-binding")
                                                 (string-match-p "hostname" (nth 1 d))))
                                (nixpilot-test--diagnostics))))
        (unless unused
          (nixpilot-test--fail "no unused-let-binding diagnostic for `hostname'"))
        (unless (string-match-p "\\[unused-let-binding\\]" (nth 1 unused))
          (nixpilot-test--fail "Flymake text lacks the rule code: %s" (nth 1 unused)))
        (goto-char (nth 2 unused)))
      ;; M-x eglot-code-actions at the diagnostic, choosing the fix from the menu.
      (let ((offered nil)
            (last-nonmenu-event ?a))        ; a keyboard event: completing-read, no popup
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (setq offered (mapcar #'car collection))
                     (or (cl-find-if (lambda (title)
                                       (string-prefix-p "Remove the unused binding" title))
                                     offered)
                         (nixpilot-test--fail "no fix offered; actions: %S" offered)))))
          (call-interactively #'eglot-code-actions))
        (dolist (title offered)
          (nixpilot-test--say "code action: %s" title)))
      (let ((text (buffer-string))
            (case-fold-search nil))         ; `hostName' must not match `hostname'

        (when (string-search "hostname = \"web1\";" text)
          (nixpilot-test--fail "the binding is still there:\n%s" text))
        (unless (string-search "networking.hostName = \"web1\";" text)
          (nixpilot-test--fail "the fix removed too much:\n%s" text)))
      (nixpilot-test--say "buffer after the fix:\n%s" (buffer-string))
      (nixpilot-test--say "OK")
      (kill-emacs 0))
  (error (nixpilot-test--fail "%S" err)))
