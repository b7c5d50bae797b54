;;; nixpilot.el --- nixpilot language server for eglot and lsp-mode  -*- lexical-binding: t; -*-

;; Homepage: https://github.com/nixpilot/nixpilot
;; Package-Requires: ((emacs "27.1"))
;; SPDX-License-Identifier: MIT OR Apache-2.0

;;; Commentary:

;; Registers `nixpilot lsp' with eglot (built into Emacs 29+, the `eglot' package or
;; Debian's elpa-eglot before) and with lsp-mode, for `nix-mode' and `nix-ts-mode'.
;;
;;   (add-to-list 'load-path "/path/to/nixpilot/editors/emacs")
;;   (require 'nixpilot)
;;   (add-hook 'nix-mode-hook #'eglot-ensure)   ; or #'lsp-deferred for lsp-mode
;;
;; Diagnostics appear through Flymake (eglot) or Flycheck/lsp-diagnostics (lsp-mode) as
;; "nixpilot [rule-name]: message"; quick fixes and "Allow `rule' on this line" through
;; `eglot-code-actions' / `lsp-execute-code-action'.  With eglot, nixpilot replaces the
;; default Nix server (nil, rnix-lsp or nixd) for the listed modes; with lsp-mode it runs
;; as an add-on next to nil or nixd.

;;; Code:

(defgroup nixpilot nil
  "The nixpilot language server."
  :group 'tools
  :prefix "nixpilot-")

(defcustom nixpilot-server-path "nixpilot"
  "The nixpilot executable, a name looked up in `exec-path' or an absolute file name."
  :type 'string)

(defcustom nixpilot-modes '(nix-mode nix-ts-mode)
  "Major modes in which nixpilot runs."
  :type '(repeat symbol))

(defun nixpilot--command (&rest _)
  "The command line of the server."
  (list nixpilot-server-path "lsp"))

(with-eval-after-load 'eglot
  (defvar eglot-server-programs)
  ;; Put first so that it wins over eglot's default Nix entry.
  (add-to-list 'eglot-server-programs (cons nixpilot-modes #'nixpilot--command)))

(declare-function lsp-register-client "ext:lsp-mode")
(declare-function make-lsp-client "ext:lsp-mode")
(declare-function lsp-stdio-connection "ext:lsp-mode")
(declare-function lsp-activate-on "ext:lsp-mode")

(with-eval-after-load 'lsp-mode
  (defvar lsp-language-id-configuration)
  (dolist (mode nixpilot-modes)
    (add-to-list 'lsp-language-id-configuration (cons mode "nix")))
  (lsp-register-client
   (apply #'make-lsp-client
          :new-connection (lsp-stdio-connection #'nixpilot--command)
          :activation-fn (lsp-activate-on "nix")
          :server-id 'nixpilot
          :add-on? t
          :priority -3
          ;; lsp-mode 9+ answers workspace/configuration for the section (8.0 has no slot).
          (when (fboundp 'lsp--client-synchronize-sections)
            '(:synchronize-sections ("nixpilot"))))))

(provide 'nixpilot)
;;; nixpilot.el ends here
