;;; lsp-mode-test.el --- nixpilot through lsp-mode, headless  -*- lexical-binding: t; -*-

;; Run by tests/editors.rs as `emacs --batch -q -l lsp-mode-test.el', set up like
;; eglot-test.el (PATH, NIXPILOT_EMACS_DIR, NIXPILOT_FILE).  Prints what it sees; exits 1 on
;; a failed check.

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
      (run-hooks 'post-command-hook)
      (accept-process-output nil 0.1))))

(condition-case err
    (progn
      (package-initialize)                  ; Debian's elpa-lsp-mode
      (require 'cl-lib)
      (require 'lsp-mode)
      (nixpilot-test--say "emacs %s, lsp-mode from %s" emacs-version (locate-library "lsp-mode"))
      (setq lsp-session-file (locate-user-emacs-file "lsp-session") ; HOME is a temporary directory
            lsp-enable-file-watchers nil
            lsp-diagnostics-provider :none  ; read lsp-mode's own store, no Flycheck needed
            lsp-modeline-code-actions-enable nil
            lsp-headerline-breadcrumb-enable nil
            lsp-keep-workspace-alive nil)
      (add-to-list 'load-path (getenv "NIXPILOT_EMACS_DIR"))
      (require 'nixpilot)
      (unless (fboundp 'nix-mode)
        (define-derived-mode nix-mode prog-mode "Nix"))
      (add-to-list 'auto-mode-alist '("\\.nix\\'" . nix-mode))
      ;; editors/README.md says `lsp-deferred', which waits for an idle timer; batch Emacs
      ;; never idles, so the test starts lsp-mode with `lsp' (what that timer calls).
      (add-hook 'nix-mode-hook #'lsp)
      ;; The answer to lsp-mode's "Import project root?" question: the flake's directory.
      (let ((root (locate-dominating-file (getenv "NIXPILOT_FILE") "flake.nix")))
        (lsp-workspace-folders-add (directory-file-name (expand-file-name root))))
      (find-file (getenv "NIXPILOT_FILE"))
      (nixpilot-test--wait "lsp-mode to start nixpilot" 30
                           (lambda () (and (bound-and-true-p lsp-mode) (lsp-workspaces))))
      (dolist (w (lsp-workspaces))
        (nixpilot-test--say "server: %s, root %s (session folders %S)" (lsp--workspace-print w)
                            (lsp--workspace-root w) (lsp-session-folders (lsp-session))))
      (let ((file (buffer-file-name)))
        (cl-flet ((diags () (gethash file (lsp-diagnostics t))))
          (nixpilot-test--wait
           "diagnostics with codes unused-let-binding and unused-suppression" 60
           (lambda ()
             (let ((codes (mapcar (lambda (d) (lsp:diagnostic-code? d)) (diags))))
               (and (member "unused-let-binding" codes) (member "unused-suppression" codes)))))
          (let (target)
            (dolist (d (diags))
              (nixpilot-test--say "diagnostic: line %d: [%s] %s"
                                  (1+ (lsp:position-line (lsp:range-start (lsp:diagnostic-range d))))
                                  (lsp:diagnostic-code? d) (lsp:diagnostic-message d))
              (when (and (equal (lsp:diagnostic-code? d) "unused-let-binding")
                         (string-match-p "hostname" (lsp:diagnostic-message d)))
                (setq target d)))
            (unless target
              (nixpilot-test--fail "no unused-let-binding diagnostic for `hostname'"))
            (goto-char (lsp--position-to-point (lsp:range-start (lsp:diagnostic-range target)))))))
      ;; M-x lsp-execute-code-action at the diagnostic, choosing the fix from the menu.
      (let ((offered nil))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (setq offered (mapcar (lambda (c) (if (consp c) (car c) c)) collection))
                     (or (cl-find-if (lambda (title)
                                       (string-prefix-p "Remove the unused binding" title))
                                     offered)
                         (nixpilot-test--fail "no fix offered; actions: %S" offered)))))
          (call-interactively #'lsp-execute-code-action))
        (dolist (title offered)
          (nixpilot-test--say "code action: %s" title)))
      (let ((case-fold-search nil))
        (nixpilot-test--wait "the binding to disappear" 10
                             (lambda () (not (string-search "hostname = \"web1\";" (buffer-string)))))
        (unless (string-search "networking.hostName = \"web1\";" (buffer-string))
          (nixpilot-test--fail "the fix removed too much:\n%s" (buffer-string))))
      (nixpilot-test--say "buffer after the fix:\n%s" (buffer-string))
      (nixpilot-test--say "OK")
      (kill-emacs 0))
  (error (nixpilot-test--fail "%S" err)))
